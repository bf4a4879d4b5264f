/*
 * Functions tgshop code must not call: each has a safer replacement here.
 * Include this header last in every .c file (after system headers), as git
 * does with its banned.h, so a use becomes a compile error.
 *
 *   strcpy, strcat, strncpy, strncat -> struct buf (core/buf.h) or memcpy with a known length
 *   sprintf, vsprintf                 -> buf_addf, snprintf
 *   gets                              -> fgets / getline
 *   strtok                            -> strtok_r or explicit parsing
 *   atoi, atol                        -> parse_int64 (core/parse.h): atoi cannot report errors
 */
#ifndef TGSHOP_CORE_BANNED_H
#define TGSHOP_CORE_BANNED_H

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef strncat
#define strncat(x, y, n) BANNED(strncat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef gets
#define gets(x) BANNED(gets)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef atoi
#define atoi(x) BANNED(atoi)
#undef atol
#define atol(x) BANNED(atol)

#endif
