/*
 * run_irq.h - `mvm run`'s interrupt options (run_irq.c): which
 * controller the machine gets and how device lines reach it, as Lab 3
 * compares them, and their counters for --stats.
 */
#ifndef MVM_RUN_IRQ_H
#define MVM_RUN_IRQ_H

#include <stdio.h>

struct mvm_machine;
struct mvm_machine_config;

/* getopt_long() codes (no short forms). */
#define RUNIRQ_OPT_IRQCHIP 0x1101 /* --irqchip none|user|kernel */
#define RUNIRQ_OPT_IRQFD   0x1102 /* --irqfd */

#define RUNIRQ_LONGOPTS                                           \
	{"irqchip", required_argument, NULL, RUNIRQ_OPT_IRQCHIP}, \
	{                                                         \
		"irqfd", no_argument, NULL, RUNIRQ_OPT_IRQFD      \
	}

/* Take one option: 0, or -EINVAL after saying why. */
int runirq_option(const char *cmd, int c, const char *arg);
/* After parsing: -EINVAL if the options do not fit together. */
int runirq_check(const char *cmd);
void runirq_usage(FILE *f);
/* Put the choice into a machine config. */
void runirq_config(struct mvm_machine_config *cfg);
/* After mvm_machine_create: the user-space 8259A and 8254 for
 * --irqchip user. 0 or -errno (said). */
int runirq_attach(const char *cmd, struct mvm_machine *m);
/* --stats: what the controllers counted. */
void runirq_report(FILE *f, struct mvm_machine *m);
/* Before mvm_machine_destroy (after mvm_machine_stop): the 8254. */
void runirq_detach(void);
/* After mvm_machine_destroy: the 8259A (the machine's lines use it). */
void runirq_free(void);

#endif
