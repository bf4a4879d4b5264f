/*
 * Files written by the code under test, read back by the tests.
 */
#ifndef TGSHOP_TESTS_TESTFILE_H
#define TGSHOP_TESTS_TESTFILE_H

#include "core/buf.h"

/* Replaces out's contents with the file at path; fails the test when it cannot be read. */
void testfile_read(struct buf *out, const char *path);

#endif
