/*
 * machine_internal.h - struct mvm_machine, shared by the machine layer's
 * files (machine.c: build; load.c: images and modes; verdict.c: how a
 * run ends; mthread.c: threads). Programs see it only as a pointer.
 */
#ifndef MINIVMM_MACHINE_INTERNAL_H
#define MINIVMM_MACHINE_INTERNAL_H

#include <pthread.h>

#include "internal.h"

#define MVM_PAUSE_HOOKS_MAX 8

/* What a vCPU's thread is doing (guarded by machine->lock). */
enum vthread_state {
	VT_IDLE,    /* no thread */
	VT_RUNNING, /* stepping the guest */
	VT_PARKED,  /* waiting out a pause */
	VT_DONE,    /* finished: verdict and last exit are final */
};

struct vthread {
	struct mvm_machine *m;	  /* owner */
	int index;		  /* vCPU index */
	pthread_t tid;		  /* valid while state != VT_IDLE */
	enum vthread_state state; /* machine->lock */
	enum mvm_verdict verdict; /* last verdict */
	struct mvm_exit last;	  /* last exit */
	int rc;			  /* last step's return */
};

struct mvm_pause_hook {
	mvm_pause_fn *pause, *resume; /* called in pause and resume */
	void *ctx;		      /* their argument */
};

struct mvm_machine {
	struct mvm_log log;	       /* from the config */
	struct mvm_machine_config cfg; /* as given (image not owned) */
	unsigned devices;	       /* MVM_MDEV_* attached */
	struct mvm_vm *vm;	       /* the KVM VM */
	struct mvm_std_devices devs;   /* debugcon, ucall, UART */
	struct mvm_demo *demo;	       /* exit tour device, or NULL */
	struct mvm_cmos *cmos;	       /* Lab 1, or NULL */
	struct mvm_hcall_dev *hcall;   /* Lab 1, or NULL */
	struct mvm_labmsr labmsr;      /* Lab 1 */
	struct mvm_image_info img;     /* last image loaded */
	struct mvm_irq_sink sink;      /* MVM_IRQCHIP_USER's controller */
	int have_sink;		       /* sink was installed */
	int nlines;		       /* lines made so far */
	struct mvm_irq_line *line[MVM_MACHINE_GSIS]; /* by GSI (devctx.c) */
	struct mvm_gsi_routes *routes;	   /* GSI routing table, or NULL */
	enum mvm_cpu_mode mode;		   /* mode of the last load */
	struct mvm_machine_virtio *virtio; /* virtio devices, or NULL */

	/* Threads (mthread.c). */
	pthread_mutex_t lock;		  /* guards the fields below */
	pthread_cond_t cond;		  /* any change of them */
	int started;			  /* threads exist */
	int stopping;			  /* mvm_machine_stop() asked */
	int pause_depth;		  /* pauses in force */
	int pausing;			  /* a pause is parking the vCPUs */
	pthread_t pauser;		  /* thread that holds the pause */
	unsigned timeout_ms;		  /* per-vCPU deadline */
	mvm_exit_cb *each;		  /* exit observer */
	void *each_ctx;			  /* its argument */
	struct vthread vt[MVM_MAX_VCPUS]; /* one per vCPU */
	int nhooks;			  /* entries in hooks[] */
	struct mvm_pause_hook hooks[MVM_PAUSE_HOOKS_MAX];
};

/* devctx.c: COM1's interrupt wiring (NULL: none), and the lines' end. */
mvm_irq_fn *mvm_machine_uart_irq(struct mvm_machine *m, void **ctx);
void mvm_machine_lines_destroy(struct mvm_machine *m);

/* virtio/vmachine.c: the devices config.virtio asks for, and their end
 * (after the vCPU threads stopped, before the lines and the VM). */
int mvm_machine_virtio_attach(struct mvm_machine *m);
void mvm_machine_virtio_detach(struct mvm_machine *m);

void mvm_machine_threads_init(struct mvm_machine *m);
void mvm_machine_threads_fini(struct mvm_machine *m);

#endif
