/* osvariant.c - reads the OS-variant templates (JSON) that give vinstall its defaults. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/media/osvariant.h"

#ifndef VK_TEMPLATEDIR
#define VK_TEMPLATEDIR "/usr/local/share/vkit/templates"
#endif

/* Templates are a few KiB; anything bigger is not one of ours. */
#define TEMPLATE_MAX_BYTES (256 * 1024)

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A binary running from the build tree has config.status one level up
 * (tools/vinstall -> top_builddir); it must see the source tree's templates,
 * not a stale installed copy. */
static bool running_from_build_tree(void)
{
	char exe[PATH_MAX], probe[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return false;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return false;
	*slash = '\0';
	snprintf(probe, sizeof(probe), "%s/../config.status", exe);
	return access(probe, F_OK) == 0;
}

const char *vk_osvariant_dir(void)
{
	const char *env = getenv("VKIT_TEMPLATEDIR");

	if (env && *env)
		return env;
#ifdef VK_SRC_TEMPLATEDIR
	if (running_from_build_tree() && is_dir(VK_SRC_TEMPLATEDIR))
		return VK_SRC_TEMPLATEDIR;
#endif
	return VK_TEMPLATEDIR;
}

void vk_osvariant_free(struct vk_osvariant *v)
{
	size_t i;

	if (!v)
		return;
	free(v->name);
	free(v->description);
	free(v->family);
	free(v->unsupported_reason);
	for (i = 0; i < v->n_aliases; i++)
		free(v->aliases[i]);
	free(v->aliases);
	free(v->disk_bus);
	free(v->nic_model);
	for (i = 0; i < v->n_layouts; i++) {
		free(v->layouts[i].kernel);
		free(v->layouts[i].initrd);
	}
	free(v->layouts);
	free(v->kernel_args);
	free(v->repo_arg_cdrom);
	free(v->repo_arg_url);
	free(v);
}

static int take_string(json_object *val, const char *what, const char *key, char **out)
{
	if (!json_object_is_type(val, json_type_string))
		return vk_errorx(EINVAL, "%s: \"%s\" must be a string", what, key);
	*out = strdup(json_object_get_string(val));
	return *out ? 0 : vk_error(ENOMEM, "%s", what);
}

static int take_uint(json_object *val, const char *what, const char *key, uint64_t max, uint64_t *out)
{
	int64_t n;

	if (!json_object_is_type(val, json_type_int))
		return vk_errorx(EINVAL, "%s: \"%s\" must be a whole number", what, key);
	n = json_object_get_int64(val);
	if (n < 1 || (uint64_t)n > max)
		return vk_errorx(ERANGE, "%s: \"%s\" is out of range (1..%llu)", what, key,
				 (unsigned long long)max);
	*out = (uint64_t)n;
	return 0;
}

static int take_layouts(json_object *val, const char *what, struct vk_osvariant *v)
{
	size_t i, n;
	int rc;

	if (!json_object_is_type(val, json_type_array))
		return vk_errorx(EINVAL, "%s: \"media\" must be a list", what);
	n = json_object_array_length(val);
	v->layouts = calloc(n ? n : 1, sizeof(*v->layouts));
	if (!v->layouts)
		return vk_error(ENOMEM, "%s", what);
	for (i = 0; i < n; i++) {
		json_object *item = json_object_array_get_idx(val, i), *k, *r;

		if (!json_object_is_type(item, json_type_object) ||
		    !json_object_object_get_ex(item, "kernel", &k) ||
		    !json_object_object_get_ex(item, "initrd", &r) ||
		    json_object_object_length(item) != 2)
			return vk_errorx(EINVAL, "%s: media entry %zu must have exactly \"kernel\" and \"initrd\"", what, i + 1);
		rc = take_string(k, what, "kernel", &v->layouts[i].kernel);
		if (rc == 0)
			rc = take_string(r, what, "initrd", &v->layouts[i].initrd);
		v->n_layouts = i + 1;
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int take_aliases(json_object *val, const char *what, struct vk_osvariant *v)
{
	size_t i, n;
	int rc;

	if (!json_object_is_type(val, json_type_array))
		return vk_errorx(EINVAL, "%s: \"aliases\" must be a list", what);
	n = json_object_array_length(val);
	v->aliases = calloc(n ? n : 1, sizeof(*v->aliases));
	if (!v->aliases)
		return vk_error(ENOMEM, "%s", what);
	for (i = 0; i < n; i++) {
		rc = take_string(json_object_array_get_idx(val, i), what, "aliases", &v->aliases[i]);
		v->n_aliases = i + 1;
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int take_key(struct vk_osvariant *v, const char *what, const char *key, json_object *val)
{
	uint64_t n;
	int rc;

	if (!strcmp(key, "name"))
		return take_string(val, what, key, &v->name);
	if (!strcmp(key, "description"))
		return take_string(val, what, key, &v->description);
	if (!strcmp(key, "family"))
		return take_string(val, what, key, &v->family);
	if (!strcmp(key, "unsupported_reason"))
		return take_string(val, what, key, &v->unsupported_reason);
	if (!strcmp(key, "disk_bus"))
		return take_string(val, what, key, &v->disk_bus);
	if (!strcmp(key, "nic_model"))
		return take_string(val, what, key, &v->nic_model);
	if (!strcmp(key, "kernel_args"))
		return take_string(val, what, key, &v->kernel_args);
	if (!strcmp(key, "repo_arg_cdrom"))
		return take_string(val, what, key, &v->repo_arg_cdrom);
	if (!strcmp(key, "repo_arg_url"))
		return take_string(val, what, key, &v->repo_arg_url);
	if (!strcmp(key, "media"))
		return take_layouts(val, what, v);
	if (!strcmp(key, "aliases"))
		return take_aliases(val, what, v);
	if (!strcmp(key, "supported")) {
		if (!json_object_is_type(val, json_type_boolean))
			return vk_errorx(EINVAL, "%s: \"supported\" must be true or false", what);
		v->supported = json_object_get_boolean(val);
		return 0;
	}
	if (!strcmp(key, "memory_mib"))
		return take_uint(val, what, key, UINT64_C(1) << 22, &v->memory_mib);
	if (!strcmp(key, "disk_size_gib"))
		return take_uint(val, what, key, UINT64_C(1) << 16, &v->disk_size_gib);
	if (!strcmp(key, "vcpus")) {
		rc = take_uint(val, what, key, 1024, &n);
		v->vcpus = (unsigned)n;
		return rc;
	}
	return vk_errorx(EINVAL, "%s: unknown key \"%s\"", what, key);
}

int vk_osvariant_parse(const char *json, const char *what, struct vk_osvariant **out)
{
	struct vk_osvariant *v = NULL;
	json_object *root;
	int rc = 0;

	root = json_tokener_parse(json);
	if (!root || !json_object_is_type(root, json_type_object)) {
		rc = vk_errorx(EINVAL, "%s: not a JSON object", what);
		goto out;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		rc = vk_error(ENOMEM, "%s", what);
		goto out;
	}
	json_object_object_foreach(root, key, val) {
		rc = take_key(v, what, key, val);
		if (rc < 0)
			goto out;
	}
	if (!v->name || !v->family || !v->memory_mib || !v->vcpus || !v->disk_size_gib ||
	    !v->disk_bus || !v->nic_model || !v->layouts) {
		rc = vk_errorx(EINVAL, "%s: a template needs name, family, memory_mib, vcpus, "
			       "disk_size_gib, disk_bus, nic_model and media", what);
		goto out;
	}
	if (!v->supported && !v->unsupported_reason) {
		rc = vk_errorx(EINVAL, "%s: an unsupported variant must say why (unsupported_reason)", what);
		goto out;
	}
	if (v->supported && !v->n_layouts) {
		rc = vk_errorx(EINVAL, "%s: a supported variant needs at least one media layout", what);
		goto out;
	}
#define DEFAULT_EMPTY(f) do { if (!(f) && !((f) = strdup(""))) { rc = vk_error(ENOMEM, "%s", what); goto out; } } while (0)
	DEFAULT_EMPTY(v->description);
	DEFAULT_EMPTY(v->kernel_args);
	DEFAULT_EMPTY(v->repo_arg_cdrom);
	DEFAULT_EMPTY(v->repo_arg_url);
#undef DEFAULT_EMPTY
	*out = v;
	v = NULL;
out:
	vk_osvariant_free(v);
	if (root)
		json_object_put(root);
	return rc;
}

static int load_file(const char *path, struct vk_osvariant **out)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc = 0;

	f = fopen(path, "re");
	if (!f)
		return vk_error(errno, "%s", path);
	buf = malloc(TEMPLATE_MAX_BYTES + 1);
	if (!buf) {
		rc = vk_error(ENOMEM, "%s", path);
		goto out;
	}
	len = fread(buf, 1, TEMPLATE_MAX_BYTES + 1, f);
	if (ferror(f)) {
		rc = vk_error(EIO, "%s", path);
		goto out;
	}
	if (len > TEMPLATE_MAX_BYTES) {
		rc = vk_errorx(EFBIG, "%s: too big for a template", path);
		goto out;
	}
	buf[len] = '\0';
	rc = vk_osvariant_parse(buf, path, out);
out:
	free(buf);
	fclose(f);
	return rc;
}

static int compare_names(const void *a, const void *b)
{
	const struct vk_osvariant *x = *(struct vk_osvariant *const *)a;
	const struct vk_osvariant *y = *(struct vk_osvariant *const *)b;

	return strcmp(x->name, y->name);
}

void vk_osvariant_list_free(struct vk_osvariant **list, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		vk_osvariant_free(list[i]);
	free(list);
}

int vk_osvariant_list(struct vk_osvariant ***out, size_t *count)
{
	const char *dir = vk_osvariant_dir();
	struct vk_osvariant **list = NULL, **bigger;
	size_t n = 0, cap = 0, len;
	struct dirent *de;
	char path[PATH_MAX];
	DIR *d;
	int rc = 0;

	d = opendir(dir);
	if (!d)
		return vk_error(errno, "template directory %s (set VKIT_TEMPLATEDIR)", dir);
	while ((de = readdir(d))) {
		len = strlen(de->d_name);
		if (len < 6 || strcmp(de->d_name + len - 5, ".json") || de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			bigger = realloc(list, cap * sizeof(*list));
			if (!bigger) {
				rc = vk_error(ENOMEM, "%s", dir);
				goto out;
			}
			list = bigger;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		rc = load_file(path, &list[n]);
		if (rc < 0)
			goto out;
		n++;
	}
	if (n)
		qsort(list, n, sizeof(*list), compare_names);
	*out = list;
	*count = n;
	list = NULL;
	n = 0;
out:
	vk_osvariant_list_free(list, n);
	closedir(d);
	return rc;
}

static bool variant_matches(const struct vk_osvariant *v, const char *name)
{
	size_t i;

	if (!strcasecmp(v->name, name))
		return true;
	for (i = 0; i < v->n_aliases; i++)
		if (!strcasecmp(v->aliases[i], name))
			return true;
	return false;
}

int vk_osvariant_load(const char *name, struct vk_osvariant **out)
{
	struct vk_osvariant **list = NULL;
	size_t n = 0, i;
	int rc;

	rc = vk_osvariant_list(&list, &n);
	if (rc < 0)
		return rc;
	rc = vk_errorx(ENOENT, "unknown OS variant '%s'; 'vinstall --osinfo list' shows the known ones", name);
	for (i = 0; i < n; i++) {
		if (variant_matches(list[i], name)) {
			*out = list[i];
			list[i] = NULL;
			vk_error_clear();
			rc = 0;
			break;
		}
	}
	vk_osvariant_list_free(list, n);
	return rc;
}
