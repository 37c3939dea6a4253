/* cardstate.c — the card's serial and purchase counter, shadowed in the meter state. */
#include "cardstate.h"

#include <string.h>

#include "cardio.h"

int cst_decode(const uint8_t *state, size_t len, struct cst *out)
{
    memset(out, 0, sizeof *out);
    if (state == NULL || len < 2 || state[0] != 1 || state[1] == 0 ||
        state[1] > CST_SERIAL_MAX || len != 2u + state[1] + 4u)
        return -1;
    out->serial_len = state[1];
    memcpy(out->serial, state + 2, out->serial_len);
    out->counter = (uint32_t)cio_get_be(state + 2 + out->serial_len, 4);
    return 0;
}

size_t cst_encode(const struct cst *c, uint8_t *out, size_t cap)
{
    if (c->serial_len == 0 || c->serial_len > CST_SERIAL_MAX || cap < CST_LEN_MAX)
        return 0;
    out[0] = 1;
    out[1] = (uint8_t)c->serial_len;
    memcpy(out + 2, c->serial, c->serial_len);
    cio_put_be(out + 2 + c->serial_len, 4, c->counter);
    return 2 + c->serial_len + 4;
}
