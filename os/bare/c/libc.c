/* libc.c — the small C library of ox-bare: system-call wrappers, printf, strings, qsort.
 *
 * Everything here is plain C over two system calls, so it behaves identically under
 * qemu-riscv32 and on orrery. No floating point (the target has none).
 */
#include <stdarg.h>
#include "orrery.h"

ssize_t write(int fd, const void *buf, size_t len) {
    register int a0 __asm__("a0") = fd;
    register const void *a1 __asm__("a1") = buf;
    register size_t a2 __asm__("a2") = len;
    register int a7 __asm__("a7") = 64;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
    return a0;
}

/* Output goes through a small buffer so that a line is one write. */
static char out_buf[256];
static size_t out_len;

static void flush_out(void) {
    if (out_len > 0) {
        write(1, out_buf, out_len);
        out_len = 0;
    }
}

/* Called by the runtime after main returns (c_main!), so no output stays in the buffer. */
void __ox_libc_flush(void) {
    flush_out();
}

/* The runtime's exit: checks the stack canary, then ecall 93. */
extern void __ox_bare_exit(int code) __attribute__((noreturn));

void exit(int code) {
    flush_out();
    __ox_bare_exit(code);
}

int putchar(int c) {
    out_buf[out_len++] = (char)c;
    if (c == '\n' || out_len == sizeof out_buf) {
        flush_out();
    }
    return (unsigned char)c;
}

int puts(const char *s) {
    while (*s) {
        putchar(*s++);
    }
    putchar('\n');
    return 0;
}

size_t strlen(const char *s) {
    size_t n = 0;
    while (s[n]) {
        n++;
    }
    return n;
}

int strcmp(const char *a, const char *b) {
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n) {
    for (; n > 0; n--, a++, b++) {
        if (*a != *b || *a == 0) {
            return (unsigned char)*a - (unsigned char)*b;
        }
    }
    return 0;
}

char *strcpy(char *dst, const char *src) {
    char *d = dst;
    while ((*d++ = *src++)) {
    }
    return dst;
}

/* Writes `value` in `base` into `digits` (reversed); returns the count. */
static int to_digits(uint64_t value, unsigned base, int upper, char *digits) {
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    int n = 0;
    do {
        digits[n++] = set[value % base];
        value /= base;
    } while (value != 0);
    return n;
}

static int pad(int count, char c) {
    for (int i = 0; i < count; i++) {
        putchar(c);
    }
    return count > 0 ? count : 0;
}

int printf(const char *format, ...) {
    va_list args;
    va_start(args, format);
    int written = 0;
    for (const char *p = format; *p; p++) {
        if (*p != '%') {
            putchar(*p);
            written++;
            continue;
        }
        p++;
        int left = 0, zero = 0, plus = 0, width = 0, precision = -1, longs = 0;
        for (;; p++) {
            if (*p == '-') left = 1;
            else if (*p == '0') zero = 1;
            else if (*p == '+') plus = 1;
            else break;
        }
        while (*p >= '0' && *p <= '9') width = width * 10 + (*p++ - '0');
        if (*p == '.') {
            precision = 0;
            p++;
            while (*p >= '0' && *p <= '9') precision = precision * 10 + (*p++ - '0');
        }
        while (*p == 'l') {
            longs++;
            p++;
        }
        char digits[24];
        int n = 0, negative = 0;
        uint64_t value = 0;
        switch (*p) {
        case 'd':
        case 'i': {
            int64_t v = longs >= 2 ? va_arg(args, long long) : longs == 1 ? va_arg(args, long) : va_arg(args, int);
            negative = v < 0;
            value = negative ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            n = to_digits(value, 10, 0, digits);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o':
            value = longs >= 2 ? va_arg(args, unsigned long long)
                    : longs == 1 ? va_arg(args, unsigned long) : va_arg(args, unsigned int);
            n = to_digits(value, *p == 'u' ? 10 : *p == 'o' ? 8 : 16, *p == 'X', digits);
            break;
        case 'p':
            value = (uintptr_t)va_arg(args, void *);
            putchar('0');
            putchar('x');
            written += 2;
            n = to_digits(value, 16, 0, digits);
            break;
        case 'c':
            written += left ? 0 : pad(width - 1, ' ');
            putchar(va_arg(args, int));
            written += 1 + (left ? pad(width - 1, ' ') : 0);
            continue;
        case 's': {
            const char *s = va_arg(args, const char *);
            if (!s) s = "(null)";
            int len = (int)strlen(s);
            if (precision >= 0 && precision < len) len = precision;
            written += left ? 0 : pad(width - len, ' ');
            for (int i = 0; i < len; i++) putchar(s[i]);
            written += len + (left ? pad(width - len, ' ') : 0);
            continue;
        }
        case '%':
            putchar('%');
            written++;
            continue;
        default:
            putchar('%');
            putchar(*p ? *p : '?');
            written += 2;
            if (!*p) p--;
            continue;
        }
        int sign = negative || plus;
        int len = n + sign;
        if (!left && !zero) written += pad(width - len, ' ');
        if (sign) putchar(negative ? '-' : '+');
        if (!left && zero) written += pad(width - len, '0');
        while (n > 0) putchar(digits[--n]);
        written += len;
        if (left) written += pad(width - len, ' ');
    }
    va_end(args);
    flush_out();
    return written;
}

static void swap_bytes(char *a, char *b, size_t size) {
    while (size--) {
        char t = *a;
        *a++ = *b;
        *b++ = t;
    }
}

/* Insertion sort for short runs, median-of-three quicksort otherwise: deterministic. */
void qsort(void *base, size_t count, size_t size, int (*compare)(const void *, const void *)) {
    char *b = base;
    while (count > 12) {
        char *mid = b + (count / 2) * size, *last = b + (count - 1) * size;
        if (compare(mid, b) < 0) swap_bytes(mid, b, size);
        if (compare(last, b) < 0) swap_bytes(last, b, size);
        if (compare(last, mid) < 0) swap_bytes(last, mid, size);
        swap_bytes(mid, last - size, size);
        char *pivot = last - size, *i = b, *j = pivot;
        for (;;) {
            do i += size; while (compare(i, pivot) < 0);
            do j -= size; while (compare(pivot, j) < 0);
            if (i >= j) break;
            swap_bytes(i, j, size);
        }
        swap_bytes(i, pivot, size);
        size_t left = (size_t)(i - b) / size;
        qsort(b, left, size, compare);
        b = i + size;
        count -= left + 1;
    }
    for (size_t k = 1; k < count; k++) {
        for (char *p = b + k * size; p > b && compare(p - size, p) > 0; p -= size) {
            swap_bytes(p - size, p, size);
        }
    }
}
