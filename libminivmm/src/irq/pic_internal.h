/*
 * pic_internal.h - struct mvm_pic, shared by pic.c (one 8259A chip and
 * the cascaded pair) and pic_inject.c (the path into the vCPU).
 */
#ifndef MINIVMM_PIC_INTERNAL_H
#define MINIVMM_PIC_INTERNAL_H

#include <pthread.h>

#include "minivmm/pic.h"

/* Initialisation state: which ICW the data port expects next. */
enum pic_init { PIC_READY, PIC_ICW2, PIC_ICW3, PIC_ICW4 };

/* One 8259A (data sheet names in brackets). */
struct pic_chip {
	struct mvm_pic *pic; /* the pair it belongs to */
	int slave;	     /* 0: master (0x20), 1: slave (0xa0) */
	uint8_t irr;	     /* requests not yet serviced [IRR] */
	uint8_t isr;	     /* being serviced, waiting for EOI [ISR] */
	uint8_t imr;	     /* masked inputs [IMR, OCW1] */
	uint8_t pins;	     /* current input levels (edge detection) */
	uint8_t vbase;	     /* vector of IR0 [ICW2, T7-T3] */
	uint8_t lowest;	     /* IR with the lowest priority (7 at reset) */
	uint8_t icw3;	     /* cascade wiring as programmed [ICW3] */
	enum pic_init init;  /* next ICW expected on the data port */
	int need_icw4;	     /* ICW1 IC4 */
	int single;	     /* ICW1 SNGL: no cascade, no ICW3 */
	int level;	     /* ICW1 LTIM: level-triggered inputs */
	int auto_eoi;	     /* ICW4 AEOI */
	int sfnm;	     /* ICW4 SFNM: special fully nested mode */
	int rotate_aeoi;     /* OCW2 "rotate in automatic EOI mode" */
	int special_mask;    /* OCW3 SMM */
	int read_isr;	     /* OCW3 RIS: command port reads ISR, else IRR */
	int poll;	     /* OCW3 P: the next command read is a poll */
	int ready;	     /* the ICW sequence completed once */
};

struct mvm_pic {
	pthread_mutex_t lock;	    /* guards everything below */
	struct pic_chip chip[2];    /* [0] master, [1] slave */
	int intr;		    /* master INT output last computed */
	struct mvm_vcpu *vcpu;	    /* where INT goes (attach), or NULL */
	struct mvm_pic_stats stats; /* counters (pic_inject.c) */
	const struct mvm_log *log;  /* may be NULL */
};

/* pic.c, all with pic->lock held. */
void mvm_pic_chip_reset(struct pic_chip *c);
void mvm_pic_chip_write(struct pic_chip *c, int data, uint8_t val);
uint8_t mvm_pic_chip_read(struct pic_chip *c, int data);
void mvm_pic_pair_set_irq(struct mvm_pic *pic, unsigned irq, int level);
int mvm_pic_pair_output(struct mvm_pic *pic);
uint8_t mvm_pic_pair_ack(struct mvm_pic *pic);

#endif
