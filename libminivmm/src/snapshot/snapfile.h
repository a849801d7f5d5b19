/*
 * snapfile.h - the snapshot file's on-disk structs and the reader that
 * checks a whole file before anything uses it (snapshot.h describes the
 * format). Shared by save.c, read.c and restore.c; the unit test
 * tests/unit/test_snapfile.c drives the reader on hand-made files.
 */
#ifndef MINIVMM_SNAPFILE_H
#define MINIVMM_SNAPFILE_H

#include <stddef.h>
#include <stdint.h>

#include "minivmm/log.h"
#include "minivmm/memory.h"
#include "minivmm/snapshot.h"

#define SNAP_PAGE	4096u
#define SNAP_MAX_SECTS	128	   /* more is a corrupt file */
#define SNAP_MAX_BODY	(1u << 20) /* non-RAM bodies are small */
#define SNAP_DISK_PATH	512	   /* longest disk path a config holds */
#define SNAP_CHAIN_NAME 256	   /* longest file name a CHAIN names */
#define SNAP_MAX_CHAIN	64	   /* diffs on one base; more is corrupt */

struct snap_file_hdr {
	char magic[8];	   /* MVM_SNAP_MAGIC, NUL-padded */
	uint32_t version;  /* MVM_SNAP_VERSION */
	uint32_t nsects;   /* section headers, END included */
	uint32_t flags;	   /* 0 */
	uint32_t reserved; /* 0 */
	uint32_t pad;	   /* 0 */
	uint32_t crc;	   /* of the 28 bytes before */
};
_Static_assert(sizeof(struct snap_file_hdr) == 32, "file header size");

struct snap_sect_hdr {
	uint32_t type;	   /* enum mvm_snap_type */
	uint32_t flags;	   /* RAM: MVM_MEM_*, DEVICE: bus */
	uint64_t aux;	   /* RAM: GPA, VCPU: index, DEVICE: base */
	uint64_t offset;   /* of the body in the file */
	uint64_t length;   /* of the body */
	char name[24];	   /* NUL-terminated */
	uint32_t body_crc; /* RAM: over its non-zero pages */
	uint32_t hdr_crc;  /* of the 60 bytes before */
};
_Static_assert(sizeof(struct snap_sect_hdr) == 64, "section header size");

/* The machine's config as saved: what mvm_machine_config holds that is
 * not a pointer, plus where the last load left the CPU mode. */
struct snap_config {
	uint64_t ram_size;  /* bytes at GPA 0 */
	uint32_t ncpus;	    /* vCPUs */
	uint32_t irqchip;   /* enum mvm_irqchip */
	uint32_t devices;   /* MVM_MDEV_* attached */
	uint32_t vm_flags;  /* extra MVM_VM_* */
	int32_t mode;	    /* enum mvm_cpu_mode of the last load */
	uint32_t hlt;	    /* enum mvm_hlt_policy */
	uint64_t page_size; /* long-mode page size asked */
	uint64_t map_size;  /* long-mode map size asked */
	uint64_t pt_cr3;    /* the VM's built tables (vm.c) */
	uint64_t pt_page;   /* their page size */
	uint64_t pt_map;    /* their map size */
	uint32_t img_kind;  /* struct mvm_image_info of the last load */
	int32_t img_nseg;   /* its segments */
	uint64_t img_entry; /* entry point */
	uint64_t img_lo;    /* lowest byte loaded */
	uint64_t img_hi;    /* one past the highest */
	/* virtio (virtio_devs.h): the devices and where their disk is. */
	uint32_t virtio;	   /* MVM_VIRTIO_DEV_* attached */
	uint32_t virtio_transport; /* MVM_VIRTIO_TRANSPORT_* */
	uint32_t virtio_plain;	   /* every kick exits */
	uint32_t disk_ro;	   /* the disk refuses writes */
	char disk[SNAP_DISK_PATH]; /* virtio-blk's file, absolute; "" none */
};

/* A CHAIN section's body (snapshot.h, "Diff chains"). */
struct snap_chain {
	uint64_t id;		      /* random, the same in every file */
	uint32_t seq;		      /* 0 the full base, n the n-th diff */
	uint32_t parent_digest;	      /* seq > 0: the previous file's */
	char parent[SNAP_CHAIN_NAME]; /* seq > 0: its name, NUL-ended */
};

/* A checked file: every header, and every body but RAM read in (a
 * DIFF's body holds its page index table once chain.c checked it). */
struct snap_image {
	int fd;		  /* the file, O_RDONLY */
	uint64_t size;	  /* its size */
	uint32_t version; /* MVM_SNAP_VERSION* */
	uint32_t digest;  /* of the section headers (save.c) */
	int nsects;	  /* in sect[] / body[] */
	struct snap_sect_hdr sect[SNAP_MAX_SECTS]; /* in file order */
	void *body[SNAP_MAX_SECTS];		   /* NULL for RAM, END */
};

/* Align up to a power of two. */
static inline uint64_t snap_align(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* The header crcs (save.c writes them, read.c checks them). */
uint32_t mvm_snap_file_hdr_crc(const struct snap_file_hdr *h);
uint32_t mvm_snap_sect_hdr_crc(const struct snap_sect_hdr *s);

/* RAM's crc over [hva, hva + len): the non-zero pages, each with its
 * page index (snapshot.h). */
uint32_t mvm_snap_ram_crc(const uint8_t *hva, uint64_t len);
/* 1 if the page at p is all zero. */
int mvm_snap_page_is_zero(const uint8_t *p);

/* pread exactly len bytes at off: 0, -ENODATA (file too short), -errno. */
int mvm_snap_read_at(int fd, void *buf, size_t len, uint64_t off);

/* Open path and check it whole (magic, version, every crc but RAM's,
 * bounds, END last); 0 or -errno with the log naming the section. */
int mvm_snap_image_open(struct snap_image *img, const char *path,
			const struct mvm_log *log);
void mvm_snap_image_close(struct snap_image *img);

/* --- shared with live migration (migrate.h) ---------------------------- */

struct mvm_machine;
struct mvm_vcpu;

/* The machine's config as a CONFIG section holds it (save.c); 0, or
 * -ENAMETOOLONG (logged) when the disk's path does not fit. */
int mvm_snap_config_fill(struct mvm_machine *m, struct snap_config *c);
/* Park the device threads of a machine that never started (a started
 * one is paused by its caller, and its threads with it): returns 1 if
 * it paused m, for mvm_snap_quiesce_end(). */
int mvm_snap_quiesce(struct mvm_machine *m);
void mvm_snap_quiesce_end(struct mvm_machine *m, int paused);
/* One section: a file writer puts it in the file, migration on the wire. */
typedef int mvm_snap_emit_fn(void *ctx, unsigned type, unsigned flags,
			     uint64_t aux, const char *name, const void *body,
			     size_t len);
/* VM, each VCPU, each DEVICE, LABMSR: every section but CONFIG, RAM and
 * END, in the file's order, through emit (save.c). m is quiet. */
int mvm_snap_emit_state(struct mvm_machine *m, mvm_snap_emit_fn *emit,
			void *ctx);
/* Finish a vCPU's pending I/O before its state is read (save.c). */
int mvm_snap_settle(struct mvm_vcpu *vcpu, const struct mvm_log *log);

/* --- the writer (save.c), shared with diff chains (chain.c) ------------ */

struct snap_writer {
	int fd;		 /* the new file */
	uint64_t off;	 /* where the next section header goes */
	uint32_t nsects; /* written so far */
	uint32_t digest; /* of the section headers so far */
	const struct mvm_log *log;
};
int mvm_snap_write_at(int fd, const void *buf, size_t len, uint64_t off);
/* A section header at w->off for a body already at s->offset. */
int mvm_snap_put_hdr(struct snap_writer *w, struct snap_sect_hdr *s);

/* A slot's dirty pages over time: the dirty log (vm.h) collected into
 * a pending set. Migration sends the set round by round, a diff chain
 * writes it into each diff. */
struct snap_dirtyset {
	int logging[MVM_MAX_SLOTS];	  /* 1 switched on here, 2 was on */
	uint64_t *pending[MVM_MAX_SLOTS]; /* dirty, not written/sent yet */
	uint64_t *scratch;		  /* one slot's fresh log */
	const struct mvm_vm *vm;	  /* exclusive: whose log is held */
};
/* Logging on for every slot that does not log yet; the bitmaps. The
 * machine is quiet, device threads parked (vm.h). exclusive: the log
 * is this set's alone (dirtyset.c). 0 or -errno (-EBUSY: taken). */
int mvm_snap_dirty_start(struct mvm_vm *vm, struct snap_dirtyset *d,
			 int exclusive);
/* Every slot's log ORed into the pending set: the pages in the set, or
 * -errno; *fresh (may be NULL) the pages new to it. */
int64_t mvm_snap_dirty_collect(struct mvm_vm *vm, struct snap_dirtyset *d,
			       int64_t *fresh);
/* Logging off where start switched it on, with m quiesced for it;
 * frees. */
void mvm_snap_dirty_stop(struct mvm_machine *m, struct snap_dirtyset *d);

/* What a diff chain adds to a save (chain.c). */
struct snap_extra {
	const struct snap_chain *chain; /* the CHAIN section's body */
	struct snap_dirtyset *dirty;	/* the chain's pages */
	int diff;			/* 0: the base (logging starts) */
	uint32_t digest;		/* out: the file's digest */
};
/* mvm_snapshot_save() with x (may be NULL: a plain snapshot). */
int mvm_snap_save_ex(struct mvm_machine *m, const char *path,
		     struct snap_extra *x);
/* A DIFF section of slot s's pages set in pending (chain.c). */
int mvm_snap_put_diff(struct snap_writer *w, const struct mvm_slot *s,
		      const uint64_t *pending);

/* --- following a chain on restore (chain_read.c) ------------------------ */

/* The files of a chain, [0] the one asked for, [n - 1] the base. */
struct snap_chainset {
	int n;					    /* files */
	struct snap_image *img[SNAP_MAX_CHAIN + 1]; /* checked */
	char *path[SNAP_MAX_CHAIN + 1];		    /* for messages */
};
/* Every section of a checked file against its CONFIG (restore.c);
 * diff: img is a chain's diff (DIFF, no RAM). 0 or -EINVAL, logged. */
int mvm_snap_check_config(const struct snap_image *img, int diff,
			  const struct mvm_log *log);
/* The CHAIN section's body of img, or NULL. */
const struct snap_chain *mvm_snap_chain_of(const struct snap_image *img);
/* tip (opened from path) is a diff: open and check every file back to
 * its base, and every DIFF section. cs->img[0] = tip. 0 or -errno, the
 * log naming file and section; mvm_snap_chain_close() in either case. */
int mvm_snap_chain_open(struct snap_chainset *cs, struct snap_image *tip,
			const char *path, const struct mvm_log *log);
/* Copy each diff's pages into m, oldest first. */
int mvm_snap_chain_apply(struct mvm_machine *m, const struct snap_chainset *cs);
/* Close every file but the tip. */
void mvm_snap_chain_close(struct snap_chainset *cs);

/* The body size a fixed-size section must have, 0: any (restore.c). */
uint64_t mvm_snap_body_size(unsigned type);
/* An empty machine as config c describes it (restore.c). */
int mvm_snap_build(const struct snap_config *c,
		   const struct mvm_machine_config *base,
		   struct mvm_machine **out);
/* Put one VM, VCPU, DEVICE or LABMSR section into m (restore.c); the
 * body's size was checked against mvm_snap_body_size(); i numbers the
 * section in messages. 0 or -errno. */
int mvm_snap_apply(struct mvm_machine *m, int i, const struct snap_sect_hdr *s,
		   const void *body);

#endif
