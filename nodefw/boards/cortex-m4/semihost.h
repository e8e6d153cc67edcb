/* SPDX-License-Identifier: MIT
 * ARM semihosting (the "Semihosting for AArch32 and AArch64" specification, v2): the
 * debugger or QEMU (-semihosting) services a BKPT 0xAB. Only what the QEMU board needs:
 * console text and the program's exit status. Written here rather than linking newlib's
 * rdimon so the image has no stdio, no heap and no syscall stubs, like the real boards.
 * On hardware without a debugger attached, BKPT faults: only the QEMU board uses this.
 */
#ifndef PROJ_NODEFW_BOARDS_CORTEX_M4_SEMIHOST_H
#define PROJ_NODEFW_BOARDS_CORTEX_M4_SEMIHOST_H

#include <stdint.h>

/* semihost_puts() - write a NUL-terminated string to the host console (QEMU: its stdout);
 * no newline is added. */
void semihost_puts(const char *s);

/*
 * semihost_exit() - end the program; QEMU exits with @status (0..255) through
 * SYS_EXIT_EXTENDED with ADP_Stopped_ApplicationExit.
 */
void semihost_exit(int status) __attribute__((noreturn));

#endif
