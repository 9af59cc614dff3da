/*
 * fuzz.h: shared by the libFuzzer targets in this folder (built by
 * `make fuzz-build`, run by scripts/fuzz.sh).  Each target feeds one pure
 * parser of the library and checks what it promises beyond "no crash": an
 * error always says where, a round trip is stable.  A broken promise aborts,
 * which libFuzzer reports as a crash and saves the input.
 */
#ifndef DYNAMO_FCGI_FUZZ_H
#define DYNAMO_FCGI_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts with the failed condition and a note (printf format). */
#define FUZZ_CHECK(cond, ...)                                                            \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);     \
            fprintf(stderr, __VA_ARGS__);                                                \
            fputc('\n', stderr);                                                         \
            abort();                                                                     \
        }                                                                                \
    } while (0)

#endif /* DYNAMO_FCGI_FUZZ_H */
