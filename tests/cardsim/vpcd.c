/* vpcd.c — framing of the vpcd virtual reader protocol (see vpcd.h). */
#include "vpcd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int vpcd_connect(unsigned port, unsigned wait_ms)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timespec pause = {0, 20 * 1000 * 1000};
    for (unsigned waited = 0;; waited += 20) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return -1;
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            return fd;
        }
        int e = errno;
        close(fd);
        if ((e != ECONNREFUSED && e != EINTR) || waited >= wait_ms)
            return -1;
        nanosleep(&pause, NULL);
    }
}

static int full(int fd, uint8_t *p, size_t n, int writing)
{
    while (n) {
        ssize_t r = writing ? send(fd, p, n, MSG_NOSIGNAL) : recv(fd, p, n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

long vpcd_recv(int fd, uint8_t *buf, size_t cap)
{
    uint8_t h[2];
    if (full(fd, h, 2, 0) != 0)
        return -1;
    size_t n = (size_t)h[0] << 8 | h[1];
    if (n > cap || full(fd, buf, n, 0) != 0)
        return -1;
    return (long)n;
}

int vpcd_send(int fd, const uint8_t *buf, size_t len)
{
    uint8_t msg[2 + VPCD_MSG_MAX];
    if (len > VPCD_MSG_MAX)
        return -1;
    msg[0] = (uint8_t)(len >> 8);
    msg[1] = (uint8_t)len;
    memcpy(msg + 2, buf, len);
    return full(fd, msg, len + 2, 1);
}
