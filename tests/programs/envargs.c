/* Arguments and environment through wasi-libc: argv, getenv, environ, setenv/unsetenv. */
#include <stdlib.h>
#include <unistd.h>

#include "transcript.h"

extern char **environ;

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void show(const char *name) {
    const char *v = getenv(name);
    if (v)
        printf("getenv %s: [%s]\n", name, v);
    else
        printf("getenv %s: (null)\n", name);
}

int main(int argc, char **argv) {
    printf("argc: %d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d]: [%s] (%zu bytes)\n", i, argv[i], strlen(argv[i]));
    CHECK("argv ends with NULL", argv[argc] == NULL);

    show("FOO");
    show("EMPTY");
    show("UNSET_VARIABLE");
    show("WITH_EQUALS");
    show("UNICODE");
    show("");

    int n = 0;
    while (environ[n])
        n++;
    printf("environ: %d entries\n", n);
    char **sorted = malloc(sizeof(char *) * (n + 1));
    for (int i = 0; i < n; i++)
        sorted[i] = environ[i];
    qsort(sorted, n, sizeof(char *), cmp);
    for (int i = 0; i < n; i++)
        printf("environ: [%s]\n", sorted[i]);
    free(sorted);

    TRY("setenv NEW", setenv("NEW", "value", 0));
    show("NEW");
    TRY("setenv FOO without overwrite", setenv("FOO", "other", 0));
    show("FOO");
    TRY("setenv FOO with overwrite", setenv("FOO", "other", 1));
    show("FOO");
    TRY("unsetenv FOO", unsetenv("FOO"));
    show("FOO");
    TRY("setenv bad name", setenv("A=B", "x", 1));
    TRY("putenv", putenv("PUT=yes"));
    show("PUT");
    TRY("clearenv", clearenv());
    CHECK("environ is empty after clearenv", environ == NULL || environ[0] == NULL);
    return finish();
}
