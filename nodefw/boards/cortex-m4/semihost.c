/* SPDX-License-Identifier: MIT
 * ARM semihosting calls: r0 = operation, r1 = pointer to its parameter block, BKPT 0xAB
 * (Thumb), result in r0. See semihost.h for why this is not newlib's rdimon.
 */
#include "semihost.h"

#define SYS_WRITE0                  0x04u
#define SYS_EXIT_EXTENDED           0x20u
#define ADP_STOPPED_APPLICATIONEXIT 0x20026u

static uint32_t semihost_call(uint32_t op, const void *args)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = args;

    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

/* SYS_WRITE0 writes to the debug console, which needs no SYS_OPEN of ":tt" first. */
void semihost_puts(const char *s)
{
    (void)semihost_call(SYS_WRITE0, s);
}

void semihost_exit(int status)
{
    uint32_t args[2];

    args[0] = ADP_STOPPED_APPLICATIONEXIT;
    args[1] = (uint32_t)status;
    (void)semihost_call(SYS_EXIT_EXTENDED, args);
    for (;;) {
        __asm__ volatile("wfi");
    }
}
