/* download.c - libcurl fetches for install trees: timeouts, retries, resume, cache by validators. */
#include "config.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/media/download.h"
#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "common/util/progress.h"
#include "common/vm/statedir.h"
#include "common/vm/undo.h"

#define DEFAULT_TIMEOUT_S 30
#define DEFAULT_RETRIES 3
#define MAX_REDIRECTS 5
#define HTTP_NOT_FOUND 404
#define HTTP_GONE 410
#define HTTP_METHOD_NOT_ALLOWED 405
#define HTTP_NOT_IMPLEMENTED 501
#define HTTP_PARTIAL_CONTENT 206
#define HTTP_RANGE_NOT_SATISFIABLE 416
#define VALIDATOR_MAX 256
#define FNV1A_OFFSET_BASIS UINT64_C(0xcbf29ce484222325)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static long env_long(const char *name, long def, long min, long max)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s || !*s)
		return def;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return def;
	return v;
}

bool vk_url_is_remote(const char *location)
{
	return !strncasecmp(location, "http://", 7) || !strncasecmp(location, "https://", 8) ||
	       !strncasecmp(location, "ftp://", 6);
}

struct transfer {
	char etag[VALIDATOR_MAX];
	char last_modified[VALIDATOR_MAX];
	bool accept_ranges;
	/* Content-Range of the last answer: start and complete length (0: "*") */
	bool have_range;
	uint64_t range_start, range_total;
	/* memory sink */
	char *buf;
	size_t len, max;
	bool too_big;
	/* file sink */
	int fd;
	uint64_t written;
	uint64_t limit;			/* the announced length, else the kind's maximum */
	bool over_limit;		/* the body went past it */
	bool resuming;
	bool checked_status;
	CURL *curl;
	struct vk_progress *progress;
	uint64_t resume_from;
	uint64_t length;		/* announced by the probe, 0 if unknown */
	const struct transfer *probed;	/* the validators the .part is named after */
	bool skip_body;			/* an error page, not the file's bytes */
	bool restart;			/* the answer cannot continue the .part */
	bool changed;			/* the server's validators differ from the probe's */
};

static void copy_header_value(char *dst, const char *value, size_t len)
{
	while (len && (value[len - 1] == '\r' || value[len - 1] == '\n' || value[len - 1] == ' '))
		len--;
	while (len && *value == ' ') {
		value++;
		len--;
	}
	if (len >= VALIDATOR_MAX)
		len = VALIDATOR_MAX - 1;
	memcpy(dst, value, len);
	dst[len] = '\0';
}

/* Decimal digits only: strtoull() would also take a sign and blanks. */
static bool parse_u64(const char **p, uint64_t *v)
{
	char *end;

	if (**p < '0' || **p > '9')
		return false;
	errno = 0;
	*v = strtoull(*p, &end, 10);
	*p = end;
	return errno == 0;
}

/* "bytes FIRST-LAST/COMPLETE", COMPLETE maybe "*" (RFC 9110, 14.4); anything else
 * leaves have_range false, which a 206 answer then fails. */
static void parse_content_range(struct transfer *t, const char *value, size_t len)
{
	char buf[VALIDATOR_MAX];
	const char *p = buf;
	uint64_t first, last, complete = 0;

	copy_header_value(buf, value, len);
	if (strncasecmp(p, "bytes ", 6))
		return;
	p += 6;
	if (!parse_u64(&p, &first) || *p++ != '-' || !parse_u64(&p, &last) || *p++ != '/' || last < first)
		return;
	if (*p == '*')
		p++;
	else if (!parse_u64(&p, &complete) || complete <= last)
		return;
	if (*p)
		return;
	t->have_range = true;
	t->range_start = first;
	t->range_total = complete;
}

static size_t on_header(char *data, size_t size, size_t nitems, void *opaque)
{
	struct transfer *t = opaque;
	size_t len = size * nitems;

	/* A redirect or a new attempt starts a new header block. */
	if (len >= 5 && !strncmp(data, "HTTP/", 5)) {
		t->etag[0] = t->last_modified[0] = '\0';
		t->accept_ranges = false;
		t->have_range = false;
	}
	if (len > 5 && !strncasecmp(data, "ETag:", 5))
		copy_header_value(t->etag, data + 5, len - 5);
	else if (len > 14 && !strncasecmp(data, "Last-Modified:", 14))
		copy_header_value(t->last_modified, data + 14, len - 14);
	else if (len > 14 && !strncasecmp(data, "Accept-Ranges:", 14))
		t->accept_ranges = strstr(data + 14, "bytes") != NULL;
	else if (len > 14 && !strncasecmp(data, "Content-Range:", 14))
		parse_content_range(t, data + 14, len - 14);
	return len;
}

static size_t to_memory(char *data, size_t size, size_t nmemb, void *opaque)
{
	struct transfer *t = opaque;
	size_t len = size * nmemb;

	if (len > t->max - t->len) {
		t->too_big = true;
		return 0;
	}
	memcpy(t->buf + t->len, data, len);
	t->len += len;
	return len;
}

static bool validator_differs(const char *probed, const char *now)
{
	return probed[0] && now[0] && strcmp(probed, now);
}

/* Before the first byte of an answer is stored: does it continue the .part?
 * False aborts the transfer (with t->restart set when beginning again at
 * byte 0 can still work). */
static bool check_answer(struct transfer *t)
{
	char *url = NULL;
	long code = 0;

	curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(t->curl, CURLINFO_EFFECTIVE_URL, &url);
	/* FTP has no status to check: curl's REST put the file where we asked. */
	if (url && !strncasecmp(url, "ftp", 3))
		return true;
	if (code < 200 || code > 299) {
		t->skip_body = true;	/* the loop reports the status */
		return true;
	}
	/* A file changed since the probe must not be kept under the probe's name. */
	if (t->probed && (validator_differs(t->probed->etag, t->etag) ||
			  validator_differs(t->probed->last_modified, t->last_modified)))
		t->changed = true;
	if (code == HTTP_PARTIAL_CONTENT) {
		if (t->have_range && t->range_start == t->resume_from &&
		    (!t->length || !t->range_total || t->range_total == t->length))
			return true;
		/* Hostile or confused: splicing these bytes at our offset would
		 * corrupt the file. */
		t->restart = true;
		return false;
	}
	if (t->resuming) {
		/* A whole file for our range: the server ignores ranges, or
		 * If-Range saw that the file changed.  Either way it is the new
		 * file from byte 0, never the rest of ours. */
		if (ftruncate(t->fd, 0) < 0 || lseek(t->fd, 0, SEEK_SET) < 0)
			return false;
		t->written = 0;
		t->resume_from = 0;
	}
	return true;
}

static size_t to_file(char *data, size_t size, size_t nmemb, void *opaque)
{
	struct transfer *t = opaque;
	size_t len = size * nmemb, done = 0;
	ssize_t n;

	if (!t->checked_status) {
		t->checked_status = true;
		if (!check_answer(t))
			return 0;
	}
	if (t->skip_body)
		return len;
	/* Stopped at the first byte too many, not once the server stops: a
	 * body longer than announced (or endless) must not fill the disk. */
	if (t->limit && len > t->limit - t->written) {
		t->over_limit = true;
		return 0;
	}
	while (done < len) {
		n = write(t->fd, data + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return 0;
		}
		done += (size_t)n;
	}
	t->written += len;
	return len;
}

static int on_progress(void *opaque, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct transfer *t = opaque;

	if (t->progress)
		vk_progress_update(t->progress, t->resume_from + (uint64_t)dlnow);
	return 0;
}

static CURL *new_handle(const char *url, struct transfer *t)
{
	long timeout = env_long("VKIT_HTTP_TIMEOUT", DEFAULT_TIMEOUT_S, 1, 3600);
	CURL *c;

	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return NULL;
	c = curl_easy_init();
	if (!c)
		return NULL;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)MAX_REDIRECTS);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,ftp");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https,ftp");
#endif
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout);
	/* A stalled server is one slower than VK_DOWNLOAD_MIN_RATE for
	 * `timeout` seconds: one byte a second must not hold a run forever. */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, (long)VK_DOWNLOAD_MIN_RATE);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, timeout);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "vkit/" PACKAGE_VERSION);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
	t->curl = c;
	return c;
}

static bool http_missing(long code)
{
	return code == HTTP_NOT_FOUND || code == HTTP_GONE;
}

/* Record what went wrong in the words a user searches for. */
static int transfer_error(const char *url, CURLcode rc, long code)
{
	long timeout = env_long("VKIT_HTTP_TIMEOUT", DEFAULT_TIMEOUT_S, 1, 3600);

	switch (rc) {
	case CURLE_OK:
		return vk_errorx(http_missing(code) ? ENOENT : EIO, "%s: HTTP %ld%s", url, code,
				 http_missing(code) ? " Not Found" : " error from the server");
	case CURLE_HTTP_RETURNED_ERROR:
		return vk_errorx(EIO, "%s: HTTP %ld error from the server", url, code);
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return vk_errorx(EHOSTUNREACH, "%s: DNS lookup failed: %s (check the host name and /etc/resolv.conf)",
				 url, curl_easy_strerror(rc));
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return vk_errorx(EPROTO, "%s: TLS failure: %s", url, curl_easy_strerror(rc));
	case CURLE_OPERATION_TIMEDOUT:
		if (!code)
			return vk_errorx(ETIMEDOUT, "%s: timed out: no answer within %ld s "
					 "(VKIT_HTTP_TIMEOUT sets the limit)", url, timeout);
		return vk_errorx(ETIMEDOUT, "%s: timed out: less than %d bytes/s for %ld s "
				 "(VKIT_HTTP_TIMEOUT sets the window)", url, VK_DOWNLOAD_MIN_RATE, timeout);
	case CURLE_PARTIAL_FILE:
		return vk_errorx(EIO, "%s: the server closed the connection before the end of the file", url);
	case CURLE_COULDNT_CONNECT:
		return vk_errorx(ECONNREFUSED, "%s: could not connect: %s", url, curl_easy_strerror(rc));
	case CURLE_REMOTE_FILE_NOT_FOUND:
		return vk_errorx(ENOENT, "%s: not found on the server", url);
	case CURLE_UNSUPPORTED_PROTOCOL:
		return vk_errorx(EPROTONOSUPPORT, "%s: only http://, https:// and ftp:// are supported", url);
	case CURLE_WRITE_ERROR:
		return vk_errorx(EIO, "%s: could not store the data (disk full?)", url);
	default:
		return vk_errorx(EIO, "%s: %s", url, curl_easy_strerror(rc));
	}
}

static bool transient(CURLcode rc, long code)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
		return true;
	case CURLE_OK:
		return code >= 500 && code != HTTP_NOT_IMPLEMENTED;
	default:
		return false;
	}
}

static int head_once(const char *url, bool ranged_get, long *code, CURLcode *crc, struct transfer *t)
{
	char sink[1];
	CURL *c = new_handle(url, t);

	*crc = CURLE_FAILED_INIT;
	*code = 0;
	if (!c)
		return vk_errorx(ENOMEM, "%s: cannot start libcurl", url);
	t->buf = sink;
	t->max = sizeof(sink);
	t->len = 0;
	if (ranged_get) {
		curl_easy_setopt(c, CURLOPT_RANGE, "0-0");
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, to_memory);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
	} else {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	}
	*crc = curl_easy_perform(c);
	if (*crc == CURLE_WRITE_ERROR && t->too_big)
		*crc = CURLE_OK;	/* we asked for one byte and got more: fine */
	*code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
	curl_easy_cleanup(c);
	return 0;
}

/* HEAD with retries; fills t's validators.  Returns 1 exists, 0 missing. */
static int probe(const char *url, struct transfer *t, uint64_t *length)
{
	long retries = env_long("VKIT_HTTP_RETRIES", DEFAULT_RETRIES, 0, 100);
	bool ranged = false;
	CURLcode crc = CURLE_OK;
	long code = 0, attempt;
	int rc;

	for (attempt = 0;; attempt++) {
		rc = head_once(url, ranged, &code, &crc, t);
		if (rc < 0)
			return rc;
		if (!ranged && crc == CURLE_OK && (code == HTTP_METHOD_NOT_ALLOWED || code == HTTP_NOT_IMPLEMENTED)) {
			ranged = true;	/* some servers refuse HEAD */
			attempt--;
			continue;
		}
		if (crc == CURLE_REMOTE_FILE_NOT_FOUND || (crc == CURLE_OK && http_missing(code)))
			return 0;
		if (crc == CURLE_OK && code < 400)
			break;
		if (!transient(crc, code) || attempt >= retries)
			return transfer_error(url, crc, code);
		sleep((unsigned)attempt + 1);
	}
	if (length) {
		CURL *c = new_handle(url, t);
		curl_off_t cl = -1;

		*length = 0;
		if (c) {
			/* Cheap second HEAD only to read the length portably. */
			curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
			if (!ranged && curl_easy_perform(c) == CURLE_OK &&
			    curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) == CURLE_OK && cl > 0)
				*length = (uint64_t)cl;
			curl_easy_cleanup(c);
		}
	}
	return 1;
}

int vk_url_exists(const char *url)
{
	struct transfer t = { .fd = -1 };

	return probe(url, &t, NULL);
}

int vk_url_get_small(const char *url, size_t max, char **buf, size_t *len)
{
	long retries = env_long("VKIT_HTTP_RETRIES", DEFAULT_RETRIES, 0, 100);
	struct transfer t = { .fd = -1 };
	CURLcode crc = CURLE_OK;
	long code = 0, attempt;
	CURL *c;
	int rc = 0;

	t.buf = malloc(max + 1);
	if (!t.buf)
		return vk_error(ENOMEM, "%s", url);
	t.max = max;
	for (attempt = 0;; attempt++) {
		t.len = 0;
		c = new_handle(url, &t);
		if (!c) {
			rc = vk_errorx(ENOMEM, "%s: cannot start libcurl", url);
			goto out;
		}
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, to_memory);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
		crc = curl_easy_perform(c);
		code = 0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		curl_easy_cleanup(c);
		if (t.too_big) {
			rc = vk_errorx(EFBIG, "%s: larger than %zu bytes", url, max);
			goto out;
		}
		if (crc == CURLE_REMOTE_FILE_NOT_FOUND || (crc == CURLE_OK && http_missing(code))) {
			rc = vk_errorx(ENOENT, "%s: HTTP %ld Not Found", url, code);
			goto out;
		}
		if (crc == CURLE_OK && code < 400)
			break;
		if (!transient(crc, code) || attempt >= retries) {
			rc = transfer_error(url, crc, code);
			goto out;
		}
		sleep((unsigned)attempt + 1);
	}
	t.buf[t.len] = '\0';
	*buf = t.buf;
	*len = t.len;
	t.buf = NULL;
out:
	free(t.buf);
	return rc;
}

/* FNV-1a: a stable, dependency-free name for a cache entry. */
static uint64_t fnv1a(const char *s, uint64_t h)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= UINT64_C(0x100000001b3);
	}
	return h;
}

/* The cache directory, opened once: every file in it is then reached
 * through dirfd, so renaming the directory (or a parent) after the check
 * cannot put another one in its place.  Refused when another user could
 * put files in it (vk_check_private_dirfd()); a sticky shared directory is
 * allowed, and its files are checked one by one (open_cache_file()). */
static int open_cache_dir(char **path, int *dirfd)
{
	const char *env = getenv("VKIT_CACHE_DIR");
	char *why = NULL;
	struct stat st;
	int rc, fd = -1;

	*path = NULL;
	*dirfd = -1;
	if (env && *env) {
		*path = strdup(env);
		if (!*path)
			return vk_error(ENOMEM, "cache");
		rc = vk_mkdir_p(*path, VK_MODE_PRIVATE_DIR);
	} else {
		rc = vk_state_path(path, "cache", NULL);
	}
	if (rc < 0)
		goto out;
	fd = open(*path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && lstat(*path, &st) == 0 && S_ISLNK(st.st_mode)) {
		rc = vk_errorx(ELOOP, "cache directory %s is a symbolic link; set VKIT_CACHE_DIR to the directory "
			       "itself", *path);
		goto out;
	}
	if (fd < 0) {
		rc = vk_error(errno, "cache directory %s", *path);
		goto out;
	}
	rc = vk_check_private_dirfd(fd, *path);
	if (rc < 0) {
		why = strdup(vk_last_error());
		if (why)
			vk_errorx(-rc, "cache directory %s (VKIT_CACHE_DIR sets another; it is created 0700)", why);
		goto out;
	}
	*dirfd = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0) {
		free(*path);
		*path = NULL;
	}
	free(why);
	return rc;
}

/* Open a cache file as flags say, never through a symlink (nor blocking on
 * a FIFO), and use it only when it is what we put there: a regular file of
 * ours with one link (vk_check_private_fd()).  Anything else was put there
 * by someone else (a shared directory) or leads elsewhere.  -ENOENT (no
 * message) when there is none. */
static int open_cache_file(int dirfd, const char *dir, const char *name, int flags, int *fd_out)
{
	int fd = openat(dirfd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, VK_MODE_PRIVATE_FILE);
	int err = errno, rc;
	char *path = NULL;
	struct stat st;

	*fd_out = -1;
	if (fd < 0 && err == ENOENT)
		return -ENOENT;
	if (asprintf(&path, "%s/%s", dir, name) < 0) {
		path = NULL;
		rc = vk_error(ENOMEM, "%s", name);
		goto out;
	}
	/* The kernel refuses a symlink as ELOOP, or as EACCES when O_CREAT
	 * meets one in a sticky directory: say what is there. */
	if (fd < 0 && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
		rc = vk_errorx(ELOOP, "%s: a symbolic link, not a cache file of ours: not followed; remove it", path);
		goto out;
	}
	if (fd < 0) {
		rc = vk_errorx(err, "%s: %s", path, strerror(err));
		goto out;
	}
	rc = vk_check_private_fd(fd, path);
	if (rc < 0)
		goto out;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	*fd_out = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

/* "KEY-basename": the key covers the URL and the validators. */
static int cache_name(const char *url, const struct transfer *t, uint64_t length, char *out, size_t len)
{
	const char *base = strrchr(url, '/');
	char lenbuf[32];
	uint64_t h = FNV1A_OFFSET_BASIS;
	size_t i, j = 0;
	char safe[64];

	base = base ? base + 1 : url;
	for (i = 0; base[i] && j < sizeof(safe) - 1; i++) {
		char ch = base[i];

		if (ch == '?' || ch == '#')
			break;
		safe[j++] = (ch == '.' || ch == '-' || ch == '_' || (ch >= '0' && ch <= '9') ||
			     (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) ? ch : '_';
	}
	safe[j] = '\0';
	snprintf(lenbuf, sizeof(lenbuf), "%" PRIu64, length);
	h = fnv1a(url, h);
	h = fnv1a("\n", h);
	h = fnv1a(t->etag, h);
	h = fnv1a("\n", h);
	h = fnv1a(t->last_modified, h);
	h = fnv1a("\n", h);
	h = fnv1a(lenbuf, h);
	snprintf(out, len, "%016" PRIx64 "-%s", h, j ? safe : "file");
	return 0;
}

/* Other versions' .part files of this URL (they end in ".URLTAG.part"):
 * once the server announces new validators or a new length they can never
 * be resumed.  Best effort: a leftover costs only space. */
static void remove_stale_parts(int dirfd, const char *dir, const char *suffix, const char *own)
{
	size_t slen = strlen(suffix), nlen;
	struct dirent *de;
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		struct stat st;

		nlen = strlen(de->d_name);
		if (nlen <= slen || strcmp(de->d_name + nlen - slen, suffix) || !strcmp(de->d_name, own))
			continue;
		/* In a shared (sticky) directory, only ours: root could remove
		 * another user's download too. */
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_uid != geteuid())
			continue;
		if (unlinkat(dirfd, de->d_name, 0) == 0)
			vk_debug("%s/%s: removed, the server's file has changed", dir, de->d_name);
	}
	closedir(d);
}

/* The validator If-Range may carry back (RFC 9110, 13.1.5): a strong ETag,
 * else Last-Modified.  NULL when there is none, or when it holds bytes that
 * do not belong in a header line (it came from the server). */
static const char *if_range_validator(const struct transfer *probed)
{
	const char *v = NULL, *p;

	if (probed->etag[0] && strncmp(probed->etag, "W/", 2))
		v = probed->etag;
	else if (probed->last_modified[0])
		v = probed->last_modified;
	for (p = v; p && *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return NULL;
	return v;
}

/* Whether a .part may outlive this run: only when the next run can ask
 * for the rest and be told by the server (If-Range) if the file changed.
 * The .part's name carries the URL, the validators and the length, so a
 * file changed in between gets a new name anyway. */
static bool resumable_later(const char *url, const struct transfer *probed, uint64_t length)
{
	return !strncasecmp(url, "http", 4) && probed->accept_ranges && length && if_range_validator(probed);
}

static int start_again(struct transfer *t, const char *part)
{
	if (ftruncate(t->fd, 0) < 0 || lseek(t->fd, 0, SEEK_SET) < 0)
		return vk_error(errno, "%s", part);
	t->written = 0;
	return 0;
}

/* Open the .part under an exclusive flock: two runs fetching one URL
 * would otherwise write one file at two offsets.  A run that waited finds
 * the name renamed into the cache or removed by then: 1 tells the caller
 * to look again.  Opened without O_TRUNC, which would cut the other
 * run's bytes before the lock is held, and checked before it is locked. */
static int open_part_locked(const char *url, int dirfd, const char *dir, const char *part, int *fd_out)
{
	struct stat held, named;
	int fd, rc = open_cache_file(dirfd, dir, part, O_WRONLY | O_CREAT, &fd);

	*fd_out = -1;
	if (rc < 0)
		return rc;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK) {
			close(fd);
			return vk_error(errno, "lock %s/%s", dir, part);
		}
		/* Not silenced by -q: it is the only explanation of the wait. */
		fprintf(stderr, "%s: %s: another run is downloading it into %s/%s; waiting for it\n",
			program_invocation_short_name, url, dir, part);
		while (flock(fd, LOCK_EX) < 0)
			if (errno != EINTR) {
				close(fd);
				return vk_error(errno, "lock %s/%s", dir, part);
			}
	}
	if (fstat(fd, &held) < 0 || fstatat(dirfd, part, &named, AT_SYMLINK_NOFOLLOW) < 0 ||
	    held.st_ino != named.st_ino || held.st_dev != named.st_dev) {
		close(fd);
		return 1;
	}
	*fd_out = fd;
	return 0;
}

/* What each kind is called in messages, and the most it may be. */
static const struct {
	const char *what;
	uint64_t max;
} download_kinds[] = {
	[VK_DOWNLOAD_KERNEL] = { "a kernel", VK_DOWNLOAD_KERNEL_MAX },
	[VK_DOWNLOAD_INITRD] = { "an initrd", VK_DOWNLOAD_INITRD_MAX },
};

/* kind's maximum; VKIT_DOWNLOAD_MAX_BYTES lowers it (tests). */
static uint64_t kind_max(enum vk_download_kind kind)
{
	const char *env = getenv("VKIT_DOWNLOAD_MAX_BYTES");
	uint64_t max = download_kinds[kind].max, v;
	const char *p = env;

	if (env && parse_u64(&p, &v) && !*p && v > 0 && v < max)
		max = v;
	return max;
}

/* Continue a .part left by an earlier run, or begin it, in FD (the .part,
 * locked; the caller closes it once the .part is renamed or removed, so
 * the lock covers that too).  The body may be `length` bytes when the
 * server announced it, else at most kind's maximum.  *part_valid says on
 * failure whether the .part still holds a prefix of the probed file. */
static int fetch_to_part(const char *url, const char *part, int fd, const struct transfer *probed,
			 uint64_t length, enum vk_download_kind kind, bool resume, bool quiet, bool *part_valid)
{
	long retries = env_long("VKIT_HTTP_RETRIES", DEFAULT_RETRIES, 0, 100);
	struct transfer t = { .fd = fd, .probed = probed, .length = length,
			      .limit = length ? length : kind_max(kind) };
	const char *label = strrchr(url, '/'), *validator = if_range_validator(probed);
	struct curl_slist *if_range = NULL;
	char range[32], *header = NULL;
	CURLcode crc = CURLE_OK;
	long code = 0, attempt;
	struct stat st;
	CURL *c;
	int rc = 0;

	*part_valid = false;
	if (!resume) {
		rc = start_again(&t, part);
		if (rc < 0)
			goto out;
	} else {
		if (fstat(t.fd, &st) < 0) {
			rc = vk_error(errno, "%s", part);
			goto out;
		}
		/* Longer than the announced file, it is no prefix of it.  Exactly
		 * as long, it was left by a failure after the transfer (fsync) or
		 * by something else, and a range from its end would only earn a
		 * 416.  Either way: byte 0. */
		if ((uint64_t)st.st_size >= length) {
			rc = start_again(&t, part);
			if (rc < 0)
				goto out;
		} else if (st.st_size > 0) {
			if (lseek(t.fd, st.st_size, SEEK_SET) < 0) {
				rc = vk_error(errno, "%s", part);
				goto out;
			}
			t.written = (uint64_t)st.st_size;
			vk_debug("%s: resuming %s at byte %" PRIu64, url, part, t.written);
		}
	}
	if (validator && strncasecmp(url, "ftp", 3)) {
		if (asprintf(&header, "If-Range: %s", validator) < 0) {
			header = NULL;
			rc = vk_error(ENOMEM, "%s", url);
			goto out;
		}
		if_range = curl_slist_append(NULL, header);
		if (!if_range) {
			rc = vk_error(ENOMEM, "%s", url);
			goto out;
		}
	}
	t.progress = vk_progress_new(label && label[1] ? label + 1 : url, length, quiet);
	for (attempt = 0;; attempt++) {
		c = new_handle(url, &t);
		if (!c) {
			rc = vk_errorx(ENOMEM, "%s: cannot start libcurl", url);
			goto out;
		}
		t.checked_status = t.skip_body = t.restart = false;
		t.resuming = t.written > 0;
		t.resume_from = t.written;
		if (t.resuming) {
			/* CURLOPT_RANGE, not RESUME_FROM: libcurl fails a 200 answer
			 * to RESUME_FROM, and that answer is how If-Range says the
			 * file changed. */
			snprintf(range, sizeof(range), "%" PRIu64 "-", t.written);
			curl_easy_setopt(c, CURLOPT_RANGE, range);
			if (if_range)
				curl_easy_setopt(c, CURLOPT_HTTPHEADER, if_range);
		}
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, to_file);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
		/* An answer whose own length is too long fails before its body. */
		curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)t.limit);
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
		crc = curl_easy_perform(c);
		code = 0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		curl_easy_cleanup(c);
		if (t.over_limit || crc == CURLE_FILESIZE_EXCEEDED) {
			if (length)
				rc = vk_errorx(EFBIG, "%s: the server sent more than the %" PRIu64 " bytes it announced; "
					       "nothing is kept", url, length);
			else
				rc = vk_errorx(EFBIG, "%s: the server announced no length and sent more than %" PRIu64
					       " bytes, the most %s may be; nothing is kept", url, t.limit,
					       download_kinds[kind].what);
			goto out;
		}
		if (t.resuming && (t.restart || (crc == CURLE_OK && code == HTTP_RANGE_NOT_SATISFIABLE))) {
			/* The server's range does not continue our bytes (or it has
			 * none for a .part shorter than the file it announced).  Not
			 * counted as an attempt: without a range this cannot recur. */
			vk_debug("%s: the server's answer does not continue %s; starting again", url, part);
			rc = start_again(&t, part);
			if (rc < 0)
				goto out;
			attempt--;
			continue;
		}
		if (t.restart) {
			rc = vk_errorx(EPROTO, "%s: the server sent a range that was not asked for", url);
			goto out;
		}
		if (crc == CURLE_OK && code < 400)
			break;
		if (!transient(crc, code) || attempt >= retries) {
			rc = transfer_error(url, crc, code);
			goto out;
		}
		if (!t.accept_ranges && !probed->accept_ranges) {
			/* Cannot resume: begin again from byte 0. */
			rc = start_again(&t, part);
			if (rc < 0)
				goto out;
		}
		vk_debug("%s: attempt %ld failed (%s), retrying", url, attempt + 1, curl_easy_strerror(crc));
		sleep((unsigned)attempt + 1);
	}
	if (length && t.written != length) {
		rc = vk_errorx(EIO, "%s: received %" PRIu64 " of %" PRIu64 " bytes", url, t.written, length);
		goto out;
	}
	if (fsync(t.fd) < 0) {
		rc = vk_error(errno, "%s", part);
		goto out;
	}
out:
	vk_progress_finish(t.progress, rc == 0);
	*part_valid = rc < 0 && !t.changed && !t.over_limit && t.written < length;
	curl_slist_free_all(if_range);
	free(header);
	return rc;
}

int vk_download_cached(const char *url, enum vk_download_kind kind, bool quiet, int *fd_out,
		       char **path_out)
{
	struct transfer t = { .fd = -1 };
	char name[128], part[160], suffix[32], *dir = NULL, *final = NULL, *part_path = NULL, *msg = NULL;
	bool resume, part_valid = false;
	int rc, fd = -1, dirfd = -1, entry = -1;
	uint64_t length = 0;
	struct stat st;

	*fd_out = -1;
	*path_out = NULL;
	rc = probe(url, &t, &length);
	if (rc == 0)
		rc = vk_errorx(ENOENT, "%s: HTTP 404 Not Found", url);
	if (rc < 0)
		goto out;
	if (length > kind_max(kind)) {
		rc = vk_errorx(EFBIG, "%s: the server announces %" PRIu64 " bytes, more than the %" PRIu64
			       " %s may be; not downloaded", url, length, kind_max(kind), download_kinds[kind].what);
		goto out;
	}
	rc = open_cache_dir(&dir, &dirfd);
	if (rc < 0)
		goto out;
	cache_name(url, &t, length, name, sizeof(name));
	/* The URL's own tag in the .part's name finds its other versions. */
	snprintf(suffix, sizeof(suffix), ".%016" PRIx64 ".part", fnv1a(url, FNV1A_OFFSET_BASIS));
	snprintf(part, sizeof(part), "%s%s", name, suffix);
	if (asprintf(&final, "%s/%s", dir, name) < 0 || asprintf(&part_path, "%s/%s", dir, part) < 0) {
		final = part_path = NULL;
		rc = vk_error(ENOMEM, "%s", url);
		goto out;
	}
	remove_stale_parts(dirfd, dir, suffix, part);
	resume = resumable_later(url, &t, length);
	/* A .part the next run cannot resume goes with this run's rollback,
	 * kill -9 included, unless another run is writing it (common/vm/undo.h). */
	if (!resume && (rc = vk_undo_shared_file(vk_undo_current(), part_path)) < 0)
		goto out;
	do {
		rc = open_cache_file(dirfd, dir, name, O_RDONLY, &entry);
		if (rc < 0 && rc != -ENOENT)
			goto out;
		/* Without validators the cached copy cannot be trusted to be current. */
		if (rc == 0 && (t.etag[0] || t.last_modified[0]) && fstat(entry, &st) == 0 &&
		    (!length || (uint64_t)st.st_size == length)) {
			vk_debug("%s: cached as %s", url, final);
			goto done;
		}
		if (entry >= 0)
			close(entry);
		entry = -1;
		rc = open_part_locked(url, dirfd, dir, part, &fd);
		if (rc < 0)
			goto out;
	} while (rc == 1);
	rc = fetch_to_part(url, part_path, fd, &t, length, kind, resume, quiet, &part_valid);
	if (rc == 0 && renameat(dirfd, part, dirfd, name) < 0)
		rc = vk_error(errno, "%s", final);
	if (rc < 0 && !(resume && part_valid))
		unlinkat(dirfd, part, 0);
	/* Only now may a waiting run look: the .part is renamed or gone (the
	 * data was fsynced, so close has nothing left to report). */
	close(fd);
	if (rc < 0) {
		/* The .part is never looked up as a cache entry: keeping it
		 * cannot serve a truncated file, only save the next run bytes. */
		if (resume && part_valid) {
			msg = strdup(vk_last_error());
			if (msg)
				vk_errorx(-rc, "%s (the part received is kept: the next run resumes it)", msg);
		}
		goto out;
	}
	if (fsync(dirfd) < 0) {
		rc = vk_error(errno, "fsync %s", dir);
		goto out;
	}
	rc = open_cache_file(dirfd, dir, name, O_RDONLY, &entry);
	if (rc < 0)
		goto out;
done:
	rc = 0;
	*fd_out = entry;
	entry = -1;
	*path_out = final;
	final = NULL;
out:
	if (entry >= 0)
		close(entry);
	if (dirfd >= 0)
		close(dirfd);
	free(dir);
	free(final);
	free(part_path);
	free(msg);
	return rc;
}
