/* Integer corners in C: signed division and remainder, 64-bit arithmetic on a 32-bit
 * machine, shifts, unsigned wrap-around, a switch the compiler turns into a jump table,
 * function pointers and recursion. */
#include "orrery.h"

static int64_t fact(int n) { return n <= 1 ? 1 : n * fact(n - 1); }

static int op_add(int a, int b) { return a + b; }
static int op_sub(int a, int b) { return a - b; }
static int op_mul(int a, int b) { return a * b; }
static int op_div(int a, int b) { return b ? a / b : 0; }

static const char *name_of(unsigned v) {
    switch (v % 9) {
    case 0: return "zero";
    case 1: return "one";
    case 2: return "two";
    case 3: return "three";
    case 4: return "four";
    case 5: return "five";
    case 6: return "six";
    case 7: return "seven";
    default: return "eight";
    }
}

int main(void) {
    int values[] = {7, -7, 2147483647, -2147483647 - 1, 0, 1, -1, 1000000};
    int divisors[] = {3, -3, 2, -1, 7};
    for (unsigned i = 0; i < sizeof values / sizeof *values; i++) {
        for (unsigned j = 0; j < sizeof divisors / sizeof *divisors; j++) {
            int a = values[i], b = divisors[j];
            if (a == -2147483647 - 1 && b == -1) continue;
            printf("%d / %d = %d rem %d\n", a, b, a / b, a % b);
        }
    }
    uint64_t x = 0x123456789abcdefULL;
    printf("64-bit: %llx %llx %llu %lld\n", x * 31, x >> 13, x / 1000003, (int64_t)x - (int64_t)(x << 3));
    uint32_t u = 0xffffffffu;
    printf("wrap: %u %u %x\n", u + 1, u * u, (u >> 31) << 31);
    for (int n = 1; n <= 20; n += 4) printf("%d! = %lld\n", n, fact(n));
    int (*ops[])(int, int) = {op_add, op_sub, op_mul, op_div};
    int acc = 1;
    for (int k = 0; k < 40; k++) acc = ops[k % 4](acc, k + 3);
    printf("ops: %d\n", acc);
    for (unsigned v = 0; v < 12; v++) printf("%s%c", name_of(v * 37), v == 11 ? '\n' : ' ');
    return 0;
}
