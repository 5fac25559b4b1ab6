/* orrery.h — the C side of ox-bare: what a bare-metal C program may call.
 *
 * A C program defines `int main(void)` and is built by `cargo xtask bare prog.c`. It is
 * linked with the ox-bare runtime (its `_start`, stack, heap and, on orrery, its trap handler)
 * and with libc.c beside this header, so one RV32 executable runs under qemu-riscv32 and,
 * translated, on orrery. All I/O goes through `write` (ecall 64); `exit` is ecall 93.
 */
#ifndef ORRERY_H
#define ORRERY_H

typedef unsigned int size_t;
typedef int ssize_t;
typedef unsigned char uint8_t;
typedef unsigned short uint16_t;
typedef unsigned int uint32_t;
typedef unsigned long long uint64_t;
typedef signed char int8_t;
typedef short int16_t;
typedef int int32_t;
typedef long long int64_t;
typedef unsigned int uintptr_t;

#define NULL ((void *)0)

/* System calls (the same numbers as Linux, answered by qemu or by ox-bare's trap handler). */
ssize_t write(int fd, const void *buf, size_t len);
void exit(int code) __attribute__((noreturn));

/* Output. printf understands %d %i %u %x %X %o %c %s %p %% with the flags '-', '0' and '+',
 * a width, a precision for %s, and the length modifiers l and ll. */
int putchar(int c);
int puts(const char *s);
int printf(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Memory: the heap of ox-bare (malloc, calloc, realloc, free) and the compiler's builtins. */
void *malloc(size_t size);
void *calloc(size_t count, size_t size);
void *realloc(void *ptr, size_t size);
void free(void *ptr);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

/* Strings. */
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strcpy(char *dst, const char *src);

/* Sorting, as in the C library. */
void qsort(void *base, size_t count, size_t size, int (*compare)(const void *, const void *));

#endif
