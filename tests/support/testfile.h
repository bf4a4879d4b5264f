/*
 * Files written by the code under test, read back by the tests, and files the tests give it.
 */
#ifndef TGSHOP_TESTS_TESTFILE_H
#define TGSHOP_TESTS_TESTFILE_H

#include "core/buf.h"

/* Replaces out's contents with the file at path; fails the test when it cannot be read. */
void testfile_read(struct buf *out, const char *path);

/* Writes a small valid PNG (800x600, as Telegram and the sandbox accept a photo) to path;
 * fails the test when it cannot. */
void testfile_write_png(const char *path);

#endif
