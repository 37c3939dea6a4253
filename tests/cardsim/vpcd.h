/*
 * vpcd.h — the card side of vsmartcard's virtual reader (vpcd).
 *
 * pcscd's vpcd driver listens on a TCP port per reader slot (the port in
 * reader.conf's DEVICENAME /dev/null:PORT for slot 0, "Virtual PCD 00 00";
 * PORT + 1 for slot 1, "Virtual PCD 00 01"). A virtual card connects to it:
 * connected means inserted, closed means removed. Every message is a 2-byte
 * big-endian length and a payload; a 1-byte payload is a control message
 * (VPCD_POWER_OFF, _ON, _RESET: no answer; VPCD_GET_ATR: answered with the
 * ATR), anything longer is a command APDU, answered with the response.
 */
#ifndef CARDSIM_VPCD_H
#define CARDSIM_VPCD_H

#include <stddef.h>
#include <stdint.h>

#define VPCD_POWER_OFF 0x00
#define VPCD_POWER_ON 0x01
#define VPCD_RESET 0x02
#define VPCD_GET_ATR 0x04
#define VPCD_MSG_MAX 0xFFFF

/* Connect to the reader on 127.0.0.1:port, trying for up to wait_ms.
   Returns the socket, or -1. */
int vpcd_connect(unsigned port, unsigned wait_ms);
/* Read one message: its length (>= 0), or -1 on a closed connection or an
   error. Messages longer than cap are an error. */
long vpcd_recv(int fd, uint8_t *buf, size_t cap);
/* Send one message: 0, or -1. */
int vpcd_send(int fd, const uint8_t *buf, size_t len);

#endif
