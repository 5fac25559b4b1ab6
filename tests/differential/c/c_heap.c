/* The heap from C: a linked list built with malloc, a growing array with realloc, calloc'd
 * memory that must be zero, qsort of records, and everything freed again. */
#include "orrery.h"

struct node {
    int value;
    struct node *next;
};

struct record {
    char name[12];
    int score;
};

static int by_score(const void *a, const void *b) {
    const struct record *x = a, *y = b;
    if (x->score != y->score) return y->score - x->score;
    return strcmp(x->name, y->name);
}

int main(void) {
    struct node *head = NULL;
    for (int i = 0; i < 1000; i++) {
        struct node *n = malloc(sizeof *n);
        n->value = i * i % 997;
        n->next = head;
        head = n;
    }
    long sum = 0;
    int count = 0;
    while (head) {
        struct node *next = head->next;
        sum += head->value;
        count++;
        free(head);
        head = next;
    }
    printf("list: %d nodes, sum %ld\n", count, sum);

    int *grow = NULL;
    size_t cap = 0;
    for (int i = 0; i < 5000; i++) {
        if ((size_t)i == cap) {
            cap = cap ? cap * 2 : 4;
            grow = realloc(grow, cap * sizeof *grow);
        }
        grow[i] = i ^ (i >> 3);
    }
    int check = 0;
    for (int i = 0; i < 5000; i++) check = check * 31 + grow[i];
    printf("realloc: capacity %u, checksum %d\n", (unsigned)cap, check);
    free(grow);

    unsigned char *zeros = calloc(4096, 1);
    int nonzero = 0;
    for (int i = 0; i < 4096; i++) nonzero += zeros[i] != 0;
    printf("calloc: %d nonzero bytes\n", nonzero);
    free(zeros);

    struct record people[40];
    unsigned seed = 7;
    for (int i = 0; i < 40; i++) {
        seed = seed * 1664525u + 1013904223u;
        people[i].score = (int)(seed >> 24) % 50;
        people[i].name[0] = (char)('a' + i % 26);
        people[i].name[1] = (char)('a' + (i * 7) % 26);
        people[i].name[2] = 0;
    }
    qsort(people, 40, sizeof *people, by_score);
    for (int i = 0; i < 40; i += 8) printf("%-4s %2d\n", people[i].name, people[i].score);
    return 0;
}
