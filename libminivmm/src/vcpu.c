/* vcpu.c - placeholder until its owner lands it. */
#include "internal.h"
