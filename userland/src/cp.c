/* cp: copy files; -r copies directories; into DIRECTORY when there are several sources. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

static int recursive, verbose;

static char *join(const char *dir, const char *name) {
    size_t dl = strlen(dir);
    char *p = malloc(dl + strlen(name) + 2);
    sprintf(p, "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", name);
    return p;
}

static int copy_file(const char *src, const char *dst) {
    int in = open(src, O_RDONLY);
    if (in < 0) {
        ul_warn("cannot open '%s' for reading: %s", src, strerror(errno));
        return 1;
    }
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (out < 0) {
        ul_warn("cannot create regular file '%s': %s", dst, strerror(errno));
        close(in);
        return 1;
    }
    char buf[16384];
    int status = 0;
    for (;;) {
        ssize_t r = read(in, buf, sizeof buf);
        if (r < 0) {
            if (errno == EINTR) continue;
            ul_warn("error reading '%s': %s", src, strerror(errno));
            status = 1;
            break;
        }
        if (r == 0) break;
        for (ssize_t off = 0; off < r;) {
            ssize_t w = write(out, buf + off, (size_t)(r - off));
            if (w < 0) {
                if (errno == EINTR) continue;
                ul_warn("error writing '%s': %s", dst, strerror(errno));
                close(in);
                close(out);
                return 1;
            }
            off += w;
        }
    }
    close(in);
    if (close(out) != 0) {
        ul_warn("error writing '%s': %s", dst, strerror(errno));
        status = 1;
    }
    if (verbose && !status) out_printf("'%s' -> '%s'\n", src, dst);
    return status;
}

static int copy_path(const char *src, const char *dst) {
    struct stat st, dst_st;
    /* like GNU cp -r: symbolic links inside (and named by) a recursive copy stay links */
    if ((recursive ? lstat(src, &st) : stat(src, &st)) != 0) {
        ul_warn("cannot stat '%s': %s", src, strerror(errno));
        return 1;
    }
    if (S_ISLNK(st.st_mode)) {
        char target[4096];
        ssize_t n = readlink(src, target, sizeof target - 1);
        if (n < 0) {
            ul_warn("cannot read symbolic link '%s': %s", src, strerror(errno));
            return 1;
        }
        target[n] = '\0';
        if (symlink(target, dst) != 0) {
            ul_warn("cannot create symbolic link '%s': %s", dst, strerror(errno));
            return 1;
        }
        return 0;
    }
    if (!S_ISDIR(st.st_mode)) return copy_file(src, dst);
    if (!recursive) {
        ul_warn("-r not specified; omitting directory '%s'", src);
        return 1;
    }
    if (stat(dst, &dst_st) != 0) {
        if (mkdir(dst, 0777) != 0) {
            ul_warn("cannot create directory '%s': %s", dst, strerror(errno));
            return 1;
        }
    } else if (!S_ISDIR(dst_st.st_mode)) {
        ul_warn("cannot overwrite non-directory '%s' with directory '%s'", dst, src);
        return 1;
    }
    DIR *d = opendir(src);
    if (!d) {
        ul_warn("cannot access '%s': %s", src, strerror(errno));
        return 1;
    }
    int status = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char *s = join(src, e->d_name), *t = join(dst, e->d_name);
        status |= copy_path(s, t);
        free(s);
        free(t);
    }
    closedir(d);
    return status;
}

static const char *base_name(const char *p) {
    size_t len = strlen(p);
    while (len > 1 && p[len - 1] == '/') len--;
    const char *b = p + len;
    while (b > p && b[-1] != '/') b--;
    return b;
}

int main(int argc, char **argv) {
    ul_init(argc, argv, "cp", "cp [-frRv] SOURCE DEST | cp [-frRv] SOURCE... DIRECTORY");
    int c;
    while ((c = ul_getopt(argc, argv, "frRpv", NULL)) != -1) {
        if (c == 'r' || c == 'R') recursive = 1;
        else if (c == 'v') verbose = 1;
    }
    int n = argc - optind;
    if (n < 1) ul_usage_error("missing file operand");
    if (n < 2) ul_usage_error("missing destination file operand after '%s'", argv[optind]);
    const char *last = argv[argc - 1];
    if (!ul_dest_is_dir(argc, argv)) ul_exit(copy_path(argv[optind], last));
    int status = 0;
    for (int i = optind; i < argc - 1; i++) {
        char *b = strdup(base_name(argv[i]));
        size_t bl = strlen(b);
        while (bl > 1 && b[bl - 1] == '/') b[--bl] = '\0';
        char *dst = join(last, b);
        status |= copy_path(argv[i], dst);
        free(dst);
        free(b);
    }
    ul_exit(status);
}
