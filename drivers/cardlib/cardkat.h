/* cardkat.h — known answers for the card crypto (drivers/cardkey), for the
   card drivers' self tests. */
#ifndef UV_CARDKAT_H
#define UV_CARDKAT_H

/* The card key of serial 01..07 under master 00..0F for each algorithm and
   its CMAC of "univend card KAT", the 3des key of an 8-byte serial (a
   two-block D), all computed with OpenSSL 3; and RFC 4493 example 2
   (AES-CMAC). 0, or -1 when any differs. */
int cl_crypto_self_test(void);

#endif
