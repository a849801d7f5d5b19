/*
 * lab3-measured.h - Lab 3's measurement table (task 8, measured.c): the
 * numbers the student measured on the three delivery paths, which the
 * grader links in and compares with what it measures itself
 * (tests/test_5_measure.c).
 */
#ifndef MINIVMM_LAB3_MEASURED_H
#define MINIVMM_LAB3_MEASURED_H

/* The three ways an interrupt gets into the guest (README 1.2). */
enum lab3_path {
	LAB3_USER,   /* user 8259A + 8254, KVM_INTERRUPT (tasks 1-6) */
	LAB3_KERNEL, /* KVM's PIC + PIT, KVM_IRQ_LINE */
	LAB3_IRQFD,  /* KVM's PIC, user 8254 and device lines as irqfds */
	LAB3_NPATHS
};

/* One path's row of the table. */
struct lab3_numbers {
	/* examples/ticks.c: exits to user space per timer tick while the
	 * guest idles (`mvm run --stats`: exits / ticks) */
	double exits_per_tick;
	/* examples/irq-latency.c: exits to user space per interrupt,
	 * the handler's timestamp OUT included (bench_irq's last column) */
	double exits_per_irq;
	/* bench_irq: raise -> the handler's first OUT, microseconds */
	double median_us;
	double p90_us;
};

extern const struct lab3_numbers lab3_measured[LAB3_NPATHS];

#endif
