/* image.c — a card's persistent state as name=value lines. */
#include "image.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int image_load(struct sim_image *img, const char *path, int create)
{
    memset(img, 0, sizeof *img);
    if (strlen(path) >= sizeof img->path)
        return -1;
    strcpy(img->path, path);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return create && errno == ENOENT ? 0 : -1;
    char line[SIM_IMAGE_NAME + SIM_IMAGE_VALUE + 4];
    int rc = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0' || line[0] == '#')
            continue;
        char *eq = strchr(line, '=');
        if (eq == NULL) {
            rc = -1;
            break;
        }
        *eq = '\0';
        if (image_set(img, line, eq + 1) != 0) {
            rc = -1;
            break;
        }
    }
    fclose(f);
    return rc;
}

int image_save(const struct sim_image *img)
{
    char tmp[sizeof img->path + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", img->path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return -1;
    for (unsigned i = 0; i < img->n; i++)
        fprintf(f, "%s=%s\n", img->name[i], img->value[i]);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        fclose(f);
        unlink(tmp);
        return -1;
    }
    if (fclose(f) != 0 || rename(tmp, img->path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int find(const struct sim_image *img, const char *name)
{
    for (unsigned i = 0; i < img->n; i++)
        if (strcmp(img->name[i], name) == 0)
            return (int)i;
    return -1;
}

const char *image_get(const struct sim_image *img, const char *name)
{
    int i = find(img, name);
    return i < 0 ? NULL : img->value[i];
}

int image_set(struct sim_image *img, const char *name, const char *value)
{
    if (strlen(name) == 0 || strlen(name) >= SIM_IMAGE_NAME || strchr(name, '=') ||
        strlen(value) >= SIM_IMAGE_VALUE || strpbrk(value, "\r\n"))
        return -1;
    int i = find(img, name);
    if (i < 0) {
        if (img->n >= SIM_IMAGE_FIELDS)
            return -1;
        i = (int)img->n++;
        strcpy(img->name[i], name);
    }
    strcpy(img->value[i], value);
    return 0;
}

static int nib(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long image_get_bin(const struct sim_image *img, const char *name, uint8_t *out, size_t cap)
{
    const char *v = image_get(img, name);
    if (v == NULL)
        return -1;
    size_t n = strlen(v);
    if (n % 2 != 0 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int a = nib(v[2 * i]), b = nib(v[2 * i + 1]);
        if (a < 0 || b < 0)
            return -1;
        out[i] = (uint8_t)(a << 4 | b);
    }
    return (long)(n / 2);
}

int image_set_bin(struct sim_image *img, const char *name, const uint8_t *data, size_t len)
{
    char hex[SIM_IMAGE_VALUE];
    if (2 * len >= sizeof hex)
        return -1;
    for (size_t i = 0; i < len; i++)
        snprintf(hex + 2 * i, 3, "%02X", data[i]);
    hex[2 * len] = '\0';
    return image_set(img, name, hex);
}

int image_get_u64(const struct sim_image *img, const char *name, uint64_t *out)
{
    const char *v = image_get(img, name);
    char *end;
    if (v == NULL || *v < '0' || *v > '9')
        return -1;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = x;
    return 0;
}

int image_set_u64(struct sim_image *img, const char *name, uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRIu64, v);
    return image_set(img, name, buf);
}
