/* status.c — stable names of statuses, suites, rotations and modes.
 * The CLI prints exactly these tokens; scripts depend on them. */
#include <string.h>

#include "internal.h"

const char *e2e_status_name(e2e_status s)
{
    switch (s) {
    case E2E_OK: return "ok";
    case E2E_ERR_MALFORMED: return "malformed";
    case E2E_ERR_AUTH: return "auth_failed";
    case E2E_ERR_UNKNOWN_KEY: return "unknown_key";
    case E2E_ERR_UNSUPPORTED: return "unsupported";
    case E2E_ERR_PARAM: return "bad_param";
    case E2E_ERR_CPU: return "cpu_unsupported";
    }
    return "unknown";
}

static const struct {
    e2e_suite suite;
    const char *name;
    const char *mode;
} suites[] = {
    {E2E_SUITE_AES_128_CCM, "AES_128_CCM", "ccm"},
    {E2E_SUITE_AES_128_CCM_8, "AES_128_CCM_8", "ccm"},
    {E2E_SUITE_AES_128_CS1_HMAC_SHA256, "AES_128_CS1_HMAC_SHA256", "cs1-hmac"},
    {E2E_SUITE_HMAC_SHA256, "HMAC_SHA256", "hmac"},
};

const char *e2e_suite_name(e2e_suite s)
{
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
        if (suites[i].suite == s)
            return suites[i].name;
    return NULL;
}

const char *e2e_suite_mode_name(e2e_suite s)
{
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++)
        if (suites[i].suite == s)
            return suites[i].mode;
    return NULL;
}

e2e_status e2e_suite_parse(e2e_suite *out, const char *name, size_t len)
{
    if (out == NULL || (name == NULL && len != 0))
        return E2E_ERR_PARAM;
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
        if (strlen(suites[i].name) == len && memcmp(suites[i].name, name, len) == 0) {
            *out = suites[i].suite;
            return E2E_OK;
        }
    }
    return E2E_ERR_UNSUPPORTED;
}

const char *e2e_rotation_name(e2e_rotation r)
{
    switch (r) {
    case E2E_ROTATION_CONTINUOUS: return "continuous";
    case E2E_ROTATION_AUTOMATIC: return "automatic";
    }
    return NULL;
}
