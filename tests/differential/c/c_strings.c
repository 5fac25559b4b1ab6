/* Strings and formatting from C: the printf subset of orrery.h with every flag and width, and
 * the string functions, on a small word-frequency count. */
#include "orrery.h"

static const char *text =
    "the quick brown fox jumps over the lazy dog the dog sleeps and the fox runs far away";

int main(void) {
    printf("[%d] [%5d] [%-5d] [%05d] [%+d] [%x] [%X] [%o] [%8s] [%-8s] [%.3s] [%c] [%%]\n",
           42, 42, 42, 42, 42, 255u, 255u, 8u, "right", "left", "truncate", 'z');
    printf("[%ld] [%lu] [%lld] [%llu] [%llx]\n", -5L, 5UL, -9000000000LL, 18000000000ULL, 0xfedcba9876ULL);
    char words[20][12];
    int counts[20];
    int n = 0;
    const char *p = text;
    while (*p) {
        while (*p == ' ') p++;
        if (!*p) break;
        char word[12];
        int len = 0;
        while (*p && *p != ' ' && len < 11) word[len++] = *p++;
        word[len] = 0;
        int found = -1;
        for (int i = 0; i < n; i++) {
            if (strcmp(words[i], word) == 0) found = i;
        }
        if (found < 0 && n < 20) {
            strcpy(words[n], word);
            counts[n++] = 1;
        } else if (found >= 0) {
            counts[found]++;
        }
    }
    for (int i = 0; i < n; i++) printf("%-6s %d\n", words[i], counts[i]);
    printf("strncmp: %d %d, strlen: %u\n", strncmp("abcd", "abcf", 3) == 0, strncmp("abc", "abd", 3) < 0,
           (unsigned)strlen(text));
    return n;
}
