/* run.c - placeholder until its owner lands it. */
#include "internal.h"
