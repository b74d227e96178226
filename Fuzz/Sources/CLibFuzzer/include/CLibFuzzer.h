// libFuzzer's driver, called from each harness's main (SwiftPM gives executables an entry point
// of their own, so libFuzzer's main() is not the one that runs). Linked by -sanitize=fuzzer.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
