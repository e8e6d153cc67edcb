/* SPDX-License-Identifier: MIT
 * CRC-32 of IEEE 802.3 (the zlib, PNG and Ethernet CRC): polynomial 0x04C11DB7 reflected
 * (0xEDB88320), initial value and final XOR 0xFFFFFFFF. The provisioning record seals its
 * bytes with it (proto/SPEC.md section 7); the trainer's PNG chunks use the same CRC.
 */
#ifndef PROJ_PROTO_CRC32_H
#define PROJ_PROTO_CRC32_H

#include <stddef.h>
#include <stdint.h>

/*
 * proto_crc32() - the CRC of @n bytes, the same value as zlib's crc32(@crc, @p, @n).
 * @crc: in, 0 to start, or the result over the bytes before @p to continue.
 * @p:   in, @n bytes (NULL allowed when @n is 0).
 * Return: the CRC. Context: any. Bitwise, no table: the record's 88 bytes at start-up and a
 * few PNG files do not need one, and the MCU keeps its flash.
 */
uint32_t proto_crc32(uint32_t crc, const uint8_t *p, size_t n);

#endif /* PROJ_PROTO_CRC32_H */
