/*
 * sensitive-umip.c - sensitive.c again with CR4.UMIP set before the
 * kernel drops to ring 3 (see sensitive.c for why this is a second image).
 *
 *   mvm run build/examples/sensitive-umip.elf
 */
#define SENSITIVE_UMIP 1
#include "sensitive.c"
