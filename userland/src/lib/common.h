/* Shared helpers for the bundled userland: usage/--help, error messages,
 * and checked, buffered output (WASI has no SIGPIPE, so EPIPE ends us with 141). */
#ifndef UL_COMMON_H
#define UL_COMMON_H

#include <getopt.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

extern const char *ul_prog;   /* program name used in messages */
extern const char *ul_usage;  /* usage text, printed by --help and usage errors */

/* Set the name and usage text, chdir to $PWD, answer a first argument --help with exit 0. */
void ul_init(int argc, char **argv, const char *prog, const char *usage);
/* getopt_long with quiet errors: unknown options or missing arguments become usage errors. */
int ul_getopt(int argc, char **argv, const char *opts, const struct option *longopts);
/* "PROG: message" + usage on stderr, exit 2. */
_Noreturn void ul_usage_error(const char *fmt, ...);
/* "PROG: message" on stderr (no exit). */
void ul_warn(const char *fmt, ...);
/* For "SOURCE DEST | SOURCE... DIRECTORY" (cp, mv, ln), with two operands or more after
   optind: 1 if the last one is a directory to put the sources in, 0 if there are two and
   it is not; more than two onto a non-directory prints why and exits with 1. */
int ul_dest_is_dir(int argc, char **argv);
/* "PROG: message" on stderr, exit 1. */
_Noreturn void ul_die(const char *fmt, ...);
/* "PROG: NAME: strerror(errno)" on stderr; returns 1 for the exit status. */
int ul_file_error(const char *name);

/* Buffered stdout that checks every write; ul_out_fd redirects it (WASI has no dup2). */
extern int ul_out_fd;
void out_write(const void *buf, size_t len);
void out_putc(int c);
void out_puts(const char *s); /* no newline added */
void out_printf(const char *fmt, ...);
void out_flush(void);
/* Flush and exit with status. */
_Noreturn void ul_exit(int status);
/* Write all of buf to fd; on failure, EPIPE → exit 141 quietly, other → message naming what, exit 1. */
void ul_write_fd(int fd, const void *buf, size_t len, const char *what);

/* read(2) that first flushes pending output, so that a filter reading a terminal or a
 * slow pipe shows its output before it waits for more input. */
long ul_read(int fd, void *buf, size_t len);
/* Open a file for reading; "-" is stdin. Returns fd or -1 (errno set). */
int ul_open_in(const char *name);
/* Parse a non-negative decimal number; returns 0 on success. */
int ul_parse_ulong(const char *s, unsigned long long *out);

/* Line reader over an fd: returns line length including '\n' (if present), 0 at EOF, -1 on error.
 * *line points into an internal buffer valid until the next call. */
typedef struct {
    int fd;
    char *buf;
    size_t cap, start, end;
    int eof;
} ul_reader;
void ul_reader_init(ul_reader *r, int fd);
long ul_getline(ul_reader *r, char **line);
void ul_reader_free(ul_reader *r);

/* Read a whole fd into a malloc'd buffer; returns 0 or -1 (errno set). */
int ul_read_all(int fd, char **data, size_t *len);

/* Regular expressions (grep): basic syntax with GNU escapes, or extended with UL_RE_EXTENDED. */
enum { UL_RE_ICASE = 1, UL_RE_EXTENDED = 2, UL_RE_LINE = 4, UL_RE_WORD = 8 };
typedef struct ul_regex ul_regex;
/* Returns NULL with *err set to a message on a bad pattern. */
ul_regex *ul_regcomp(const char *pattern, int flags, const char **err);
/* 1 if the regex matches somewhere in text[0..len). */
int ul_regmatch(const ul_regex *re, const char *text, size_t len);
void ul_regfree(ul_regex *re);

/* Shell-style glob (find -name): * ? [..] [!..] \ */
int ul_glob_match(const char *pat, const char *s);

#endif
