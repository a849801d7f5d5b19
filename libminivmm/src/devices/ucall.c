/*
 * ucall.c - the host side of the guest -> host call ABI (see ucall.h).
 *
 * The guest writes the guest-physical address of a struct mvm_ucall to
 * MVM_PORT_UCALL with one 4-byte OUT. This device turns that address into
 * a copy of the struct and acts on its command:
 *
 *   PRINT              text goes to the output callback; the guest runs on
 *   SYNC, ASSERT, DONE the ucall is stored and the write returns
 *                      MVM_IO_STOP, so mvm_vcpu_run() returns and the test
 *                      can look at it with mvm_ucall_last()
 *
 * The address comes from the guest, so it is untrusted (STYLE.md 5): the
 * whole struct is copied with mvm_memmap_read(), which refuses any byte
 * outside guest RAM, and the text is NUL-terminated by the host whatever
 * the guest put there. A bad call is logged and ignored; it never stops
 * the VMM, and a guest making bad calls in a loop gets only the first
 * UCALL_WARN_MAX of them logged as warnings. This is the same design as
 * the Linux KVM selftests' ucall
 * (tools/testing/selftests/kvm/lib/x86_64/ucall.c).
 *
 * Every call the device accepts, PRINT included, is also kept with a
 * running count (mvm_ucall_seen), so a debugger can name the call behind
 * an I/O exit without reading the guest's mailbox a second time.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "minivmm/state.h"

struct mvm_ucall_dev {
	const struct mvm_memmap *mem; /* guest memory the struct is read from */
	mvm_output_fn *out;	      /* PRINT text; NULL drops it */
	void *ctx;		      /* passed to out */
	struct mvm_log log;	      /* bad calls are reported here */
	pthread_mutex_t lock;	      /* guards the fields below: vCPU
					 threads call at the same time */
	struct mvm_ucall last;	      /* last SYNC/ASSERT/DONE */
	struct mvm_ucall last_of[MVM_MAX_VCPUS]; /* the same per vCPU */
	struct mvm_ucall seen; /* last accepted call of any kind */
	uint64_t seq;	       /* calls accepted so far */
	unsigned warned;       /* bad calls logged as warnings */
};

/* Bad calls logged at WARN; later ones go to DEBUG. The cap is the one
 * exit.c puts on unclaimed accesses, for the same reason: a guest that
 * repeats a mistake must not bury everything else in the log. */
#define UCALL_WARN_MAX 32

static const char *const cmd_names[] = {
	[MVM_UCALL_NONE] = "NONE",     [MVM_UCALL_SYNC] = "SYNC",
	[MVM_UCALL_ASSERT] = "ASSERT", [MVM_UCALL_DONE] = "DONE",
	[MVM_UCALL_PRINT] = "PRINT",
};
_Static_assert(sizeof(cmd_names) / sizeof(cmd_names[0]) == MVM_UCALL_NR,
	       "one name per ucall command");

const char *mvm_ucall_cmd_name(uint64_t cmd)
{
	return cmd < MVM_UCALL_NR ? cmd_names[cmd] : "?";
}

/* The port reads as zero: there is nothing to read back. */
static int ucall_read(void *dev, struct mvm_vcpu *vcpu, uint64_t offset,
		      void *data, uint32_t len)
{
	(void)dev;
	(void)offset;
	memset(data, 0, len);
	return 0;
}

static void bad_call(struct mvm_ucall_dev *u, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Log a call the device ignores (see UCALL_WARN_MAX). */
static void bad_call(struct mvm_ucall_dev *u, const char *fmt, ...)
{
	enum mvm_log_level level = MVM_LOG_WARN;
	va_list ap;

	if (u->warned >= UCALL_WARN_MAX)
		level = MVM_LOG_DEBUG;
	else
		u->warned++;
	va_start(ap, fmt);
	mvm_vlogf(&u->log, level, fmt, ap);
	va_end(ap);
	if (level == MVM_LOG_WARN && u->warned == UCALL_WARN_MAX)
		mvm_logf(&u->log, MVM_LOG_WARN,
			 "ucall: %d bad calls; further ones are logged at "
			 "debug level",
			 UCALL_WARN_MAX);
}

/* [slide:ucall-fetch] */
/* Copy the guest's struct; 0, or -EFAULT after logging why. */
static int ucall_fetch(struct mvm_ucall_dev *u, uint32_t gpa,
		       struct mvm_ucall *uc)
{
	if (mvm_memmap_read(u->mem, gpa, uc, sizeof(*uc)) < 0) {
		bad_call(u,
			 "ucall: struct at guest-physical 0x%x (%zu bytes) "
			 "is not in guest RAM; ignored",
			 gpa, sizeof(*uc));
		return -EFAULT;
	}
	uc->text[MVM_UCALL_TEXT - 1] = '\0';
	return 0;
}
/* [/slide:ucall-fetch] */

static int ucall_write(void *dev, struct mvm_vcpu *vcpu, uint64_t offset,
		       const void *data, uint32_t len)
{
	struct mvm_ucall_dev *u = dev;
	struct mvm_ucall uc;
	uint32_t gpa;

	if (offset != 0 || len != sizeof(gpa)) {
		bad_call(u,
			 "ucall: %u-byte write at offset %llu ignored (the "
			 "protocol is one 4-byte OUT of an address)",
			 len, (unsigned long long)offset);
		return 0;
	}
	memcpy(&gpa, data, sizeof(gpa));
	if (ucall_fetch(u, gpa, &uc))
		return 0;
	pthread_mutex_lock(&u->lock);
	if (uc.cmd != MVM_UCALL_NONE && uc.cmd < MVM_UCALL_NR) {
		u->seen = uc;
		u->seq++;
	}
	if (uc.cmd == MVM_UCALL_SYNC || uc.cmd == MVM_UCALL_ASSERT ||
	    uc.cmd == MVM_UCALL_DONE) {
		u->last = uc;
		if (vcpu)
			u->last_of[mvm_vcpu_index(vcpu)] = uc;
	}
	pthread_mutex_unlock(&u->lock);
	switch (uc.cmd) {
	case MVM_UCALL_PRINT:
		if (u->out)
			u->out(u->ctx, uc.text, strlen(uc.text));
		return 0;
	case MVM_UCALL_SYNC:
	case MVM_UCALL_ASSERT:
	case MVM_UCALL_DONE:
		return MVM_IO_STOP;
	default:
		bad_call(u, "ucall: unknown command %llu at 0x%x; ignored",
			 (unsigned long long)uc.cmd, gpa);
		return 0;
	}
}

static void ucall_reset(void *dev)
{
	mvm_ucall_clear(dev);
}

/*
 * Save/load: the guest cannot read anything back from this port, but the
 * host's view is state a restored test or debugger relies on: the last
 * SYNC/ASSERT/DONE (of all vCPUs and of each), the last call of any
 * kind and the count.
 */
#define UCALL_MAGIC   MVM_DEVSTATE_MAGIC('U', 'C', 'A', 'L')
#define UCALL_VERSION 1

struct ucall_state {
	struct mvm_ucall last;			 /* mvm_ucall_last() */
	struct mvm_ucall last_of[MVM_MAX_VCPUS]; /* the same per vCPU */
	struct mvm_ucall seen;			 /* mvm_ucall_seen() */
	uint64_t seq;				 /* calls accepted */
};

static int ucall_save(void *dev, void *buf, size_t len)
{
	struct mvm_ucall_dev *u = dev;
	struct ucall_state s;

	memset(&s, 0, sizeof(s));
	pthread_mutex_lock(&u->lock);
	s.last = u->last;
	memcpy(s.last_of, u->last_of, sizeof(s.last_of));
	s.seen = u->seen;
	s.seq = u->seq;
	pthread_mutex_unlock(&u->lock);
	return mvm_devstate_put(buf, len, UCALL_MAGIC, UCALL_VERSION, &s,
				sizeof(s));
}

/* A saved call is checked as a guest's would be: known command, text
 * NUL-terminated by us. */
static int take_call(struct mvm_ucall *uc)
{
	if (uc->cmd >= MVM_UCALL_NR)
		return -EINVAL;
	uc->text[MVM_UCALL_TEXT - 1] = '\0';
	return 0;
}

static int ucall_load(void *dev, const void *buf, size_t len)
{
	struct mvm_ucall_dev *u = dev;
	struct ucall_state s;
	int r = mvm_devstate_take(buf, len, UCALL_MAGIC, UCALL_VERSION, &s,
				  sizeof(s));

	if (r == 0)
		r = take_call(&s.last);
	if (r == 0)
		r = take_call(&s.seen);
	for (int i = 0; r == 0 && i < MVM_MAX_VCPUS; i++)
		r = take_call(&s.last_of[i]);
	if (r < 0)
		return r;
	pthread_mutex_lock(&u->lock);
	u->last = s.last;
	memcpy(u->last_of, s.last_of, sizeof(u->last_of));
	u->seen = s.seen;
	u->seq = s.seq;
	pthread_mutex_unlock(&u->lock);
	return (int)len;
}

const struct mvm_dev_ops mvm_ucall_ops = {
	.name = "ucall",
	.read = ucall_read,
	.write = ucall_write,
	.reset = ucall_reset,
	.save = ucall_save,
	.load = ucall_load,
};

int mvm_ucall_create(const struct mvm_memmap *mem, mvm_output_fn *out,
		     void *ctx, const struct mvm_log *log,
		     struct mvm_ucall_dev **dev)
{
	struct mvm_ucall_dev *u;

	if (!mem || !dev)
		return -EINVAL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	pthread_mutex_init(&u->lock, NULL);
	u->mem = mem;
	u->out = out;
	u->ctx = ctx;
	if (log)
		u->log = *log;
	*dev = u;
	return 0;
}

void mvm_ucall_destroy(struct mvm_ucall_dev *dev)
{
	if (dev)
		pthread_mutex_destroy(&dev->lock);
	free(dev);
}

/* The readers take the lock through a cast: reading is logically const,
 * but a vCPU thread may be writing the struct at that moment. */
static int copy_last(const struct mvm_ucall_dev *dev,
		     const struct mvm_ucall *src, struct mvm_ucall *uc)
{
	struct mvm_ucall_dev *u = (struct mvm_ucall_dev *)dev;
	int cmd;

	pthread_mutex_lock(&u->lock);
	if (uc)
		*uc = *src;
	cmd = (int)src->cmd;
	pthread_mutex_unlock(&u->lock);
	return cmd;
}

int mvm_ucall_last(const struct mvm_ucall_dev *dev, struct mvm_ucall *uc)
{
	return copy_last(dev, &dev->last, uc);
}

int mvm_ucall_last_of(const struct mvm_ucall_dev *dev, int vcpu,
		      struct mvm_ucall *uc)
{
	if (vcpu < 0 || vcpu >= MVM_MAX_VCPUS)
		return -EINVAL;
	return copy_last(dev, &dev->last_of[vcpu], uc);
}

uint64_t mvm_ucall_seen(const struct mvm_ucall_dev *dev, struct mvm_ucall *uc)
{
	struct mvm_ucall_dev *u = (struct mvm_ucall_dev *)dev;
	uint64_t seq;

	pthread_mutex_lock(&u->lock);
	if (uc)
		*uc = dev->seen;
	seq = dev->seq;
	pthread_mutex_unlock(&u->lock);
	return seq;
}

void mvm_ucall_clear(struct mvm_ucall_dev *dev)
{
	pthread_mutex_lock(&dev->lock);
	memset(&dev->last, 0, sizeof(dev->last));
	memset(dev->last_of, 0, sizeof(dev->last_of));
	pthread_mutex_unlock(&dev->lock);
}
