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
#include "minivmm/snapshot.h"

#define SNAP_PAGE      4096u
#define SNAP_MAX_SECTS 128	  /* more is a corrupt file */
#define SNAP_MAX_BODY  (1u << 20) /* non-RAM bodies are small */
#define SNAP_DISK_PATH 512	  /* longest disk path a config holds */

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

/* A checked file: every header, and every body but RAM read in. */
struct snap_image {
	int fd;					   /* the file, O_RDONLY */
	uint64_t size;				   /* its size */
	int nsects;				   /* in sect[] / body[] */
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
