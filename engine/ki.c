/* ki.c — key identity (KI) header decoding.
 *
 * Implementation notes: the seed document (u-blox E2E Data Protection,
 * "Examples - upstream", step 4) defines KI_LENGTH by the most significant
 * nibble of the message: 0x1 -> 16 bytes (continuous rotation), 0x2 -> 12
 * bytes (automatic rotation). Its CCM sample code uses 11 for the latter — a
 * bug; the wire examples (2a0000041908003fa6620001...) carry 12. Every other
 * nibble is malformed. The KI is public, so this file branches on it. */
#include "internal.h"

e2e_status e2e_ki_decode(size_t *ki_len, e2e_rotation *rotation,
                         const uint8_t *msg, size_t msg_len)
{
    if (ki_len == NULL || rotation == NULL || (msg == NULL && msg_len != 0))
        return E2E_ERR_PARAM;
    *ki_len = 0;
    if (msg_len == 0)
        return E2E_ERR_MALFORMED;
    size_t len;
    e2e_rotation rot;
    switch (msg[0] >> 4) {
    case 0x1: len = 16; rot = E2E_ROTATION_CONTINUOUS; break;
    case 0x2: len = 12; rot = E2E_ROTATION_AUTOMATIC; break;
    default: return E2E_ERR_MALFORMED;
    }
    if (msg_len < len)
        return E2E_ERR_MALFORMED;
    *ki_len = len;
    *rotation = rot;
    return E2E_OK;
}
