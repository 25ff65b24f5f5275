/* osvariant.h - OS-variant defaults (the JSON files in templates/): memory, disks, install media layouts. */
#ifndef VK_OSVARIANT_H
#define VK_OSVARIANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where an installer keeps its kernel and initrd, relative to the top of the
 * medium.  A '*' in kernel matches any file name suffix in that directory;
 * the same suffix replaces the '*' of initrd (Alpine: boot/vmlinuz-lts with
 * boot/initramfs-lts). */
struct vk_media_layout {
	char *kernel;
	char *initrd;
};

struct vk_osvariant {
	char *name;
	char *description;
	char *family;			/* "rhel", "debian", "windows", ... */
	bool supported;			/* false: the runner cannot install it */
	char *unsupported_reason;	/* what to use instead; NULL if supported */
	char **aliases;
	size_t n_aliases;
	uint64_t memory_mib;
	unsigned vcpus;
	uint64_t disk_size_gib;
	char *disk_bus;
	char *nic_model;
	struct vk_media_layout *layouts;
	size_t n_layouts;
	char *kernel_args;		/* always added to the installer's command line */
	/* Added for --location installs so the installer finds its packages:
	 * %L is the ISO volume label (blanks as \x20), %U the tree's URL. */
	char *repo_arg_cdrom;
	char *repo_arg_url;
};

/* The directory templates are read from: $VKIT_TEMPLATEDIR, else the source
 * tree's templates/ when the program runs from the build tree, else the
 * installed $(pkgdatadir)/templates. */
const char *vk_osvariant_dir(void);

/* Parse one template document; unknown keys and wrong types are refused. */
int vk_osvariant_parse(const char *json, const char *what, struct vk_osvariant **out);
/* Load by name or alias; -ENOENT with a message pointing at "--osinfo list". */
int vk_osvariant_load(const char *name, struct vk_osvariant **out);
void vk_osvariant_free(struct vk_osvariant *v);

/* Every template of the directory, sorted by name. */
int vk_osvariant_list(struct vk_osvariant ***out, size_t *count);
void vk_osvariant_list_free(struct vk_osvariant **list, size_t count);

#endif
