/*
 * image.h — a card's persistent state as a small text file of
 * "name=value" lines, values in hex (binary) or plain text.
 *
 *   serial=0000A1B2C3D4
 *   meter=01234567897
 *   credit=00000000
 *
 * Saving writes a temp file and renames it over the image, so a simulator
 * killed mid-save leaves the old or the new card, never half of one (a real
 * card's EEPROM write is atomic per page; tearing is modelled, where a test
 * needs it, by the card type writing in several steps).
 */
#ifndef CARDSIM_IMAGE_H
#define CARDSIM_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define SIM_IMAGE_FIELDS 64
#define SIM_IMAGE_NAME 32
#define SIM_IMAGE_VALUE 2048 /* text; binary fields hold 2 hex digits per byte */

struct sim_image {
    char path[4096];
    unsigned n;
    char name[SIM_IMAGE_FIELDS][SIM_IMAGE_NAME];
    char value[SIM_IMAGE_FIELDS][SIM_IMAGE_VALUE];
};

/* Load from path (an empty image if create and the file is missing). 0 / -1. */
int image_load(struct sim_image *img, const char *path, int create);
/* Write atomically to img->path. 0 / -1. */
int image_save(const struct sim_image *img);

/* Text values: NULL when absent. */
const char *image_get(const struct sim_image *img, const char *name);
int image_set(struct sim_image *img, const char *name, const char *value);
/* Binary values as hex: returns the byte count, or -1 if absent/not hex/too long. */
long image_get_bin(const struct sim_image *img, const char *name, uint8_t *out, size_t cap);
int image_set_bin(struct sim_image *img, const char *name, const uint8_t *data, size_t len);
/* Unsigned numbers (decimal text). Returns 0, or -1 if absent or not a number. */
int image_get_u64(const struct sim_image *img, const char *name, uint64_t *out);
int image_set_u64(struct sim_image *img, const char *name, uint64_t v);

#endif
