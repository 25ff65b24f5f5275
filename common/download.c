/* download.c - libcurl fetches for install trees: timeouts, retries, resume, cache by validators. */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/download.h"
#include "common/error.h"
#include "common/fileutil.h"
#include "common/progress.h"
#include "common/statedir.h"

#define DEFAULT_TIMEOUT_S 30
#define DEFAULT_RETRIES 3
#define MAX_REDIRECTS 5
#define HTTP_NOT_FOUND 404
#define HTTP_GONE 410
#define HTTP_METHOD_NOT_ALLOWED 405
#define HTTP_NOT_IMPLEMENTED 501
#define HTTP_PARTIAL_CONTENT 206
#define VALIDATOR_MAX 256

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
	/* memory sink */
	char *buf;
	size_t len, max;
	bool too_big;
	/* file sink */
	int fd;
	uint64_t written;
	bool resuming;
	bool checked_status;
	CURL *curl;
	struct vk_progress *progress;
	uint64_t resume_from;
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

static size_t on_header(char *data, size_t size, size_t nitems, void *opaque)
{
	struct transfer *t = opaque;
	size_t len = size * nitems;

	/* A redirect or a new attempt starts a new header block. */
	if (len >= 5 && !strncmp(data, "HTTP/", 5)) {
		t->etag[0] = t->last_modified[0] = '\0';
		t->accept_ranges = false;
	}
	if (len > 5 && !strncasecmp(data, "ETag:", 5))
		copy_header_value(t->etag, data + 5, len - 5);
	else if (len > 14 && !strncasecmp(data, "Last-Modified:", 14))
		copy_header_value(t->last_modified, data + 14, len - 14);
	else if (len > 14 && !strncasecmp(data, "Accept-Ranges:", 14))
		t->accept_ranges = strstr(data + 14, "bytes") != NULL;
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

static size_t to_file(char *data, size_t size, size_t nmemb, void *opaque)
{
	struct transfer *t = opaque;
	size_t len = size * nmemb, done = 0;
	ssize_t n;

	if (!t->checked_status) {
		long code = 0;

		t->checked_status = true;
		curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &code);
		if (t->resuming && code != HTTP_PARTIAL_CONTENT) {
			char *url = NULL;

			curl_easy_getinfo(t->curl, CURLINFO_EFFECTIVE_URL, &url);
			/* The server ignored the range: start the file again. */
			if (url && strncasecmp(url, "ftp", 3)) {
				if (ftruncate(t->fd, 0) < 0 || lseek(t->fd, 0, SEEK_SET) < 0)
					return 0;
				t->written = 0;
				t->resume_from = 0;
			}
		}
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
	/* A stalled server is one that sends nothing for `timeout` seconds. */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
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
		return vk_errorx(ETIMEDOUT, "%s: timed out (no data for %ld s; VKIT_HTTP_TIMEOUT sets the limit)",
				 url, timeout);
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

static int cache_dir(char **out)
{
	const char *env = getenv("VKIT_CACHE_DIR");
	int rc;

	if (env && *env) {
		*out = strdup(env);
		if (!*out)
			return vk_error(ENOMEM, "cache");
		rc = vk_mkdir_p(*out, 0755);
		return rc < 0 ? rc : 0;
	}
	return vk_state_path(out, "cache", NULL);
}

/* "KEY-basename": the key covers the URL and the validators. */
static int cache_name(const char *url, const struct transfer *t, uint64_t length, char *out, size_t len)
{
	const char *base = strrchr(url, '/');
	char lenbuf[32];
	uint64_t h = UINT64_C(0xcbf29ce484222325);
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

static int fetch_to_part(const char *url, const char *part, uint64_t length, bool quiet)
{
	long retries = env_long("VKIT_HTTP_RETRIES", DEFAULT_RETRIES, 0, 100);
	struct transfer t = { .fd = -1 };
	CURLcode crc = CURLE_OK;
	long code = 0, attempt;
	const char *label = strrchr(url, '/');
	CURL *c;
	int rc = 0;

	t.fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (t.fd < 0)
		return vk_error(errno, "%s", part);
	t.progress = vk_progress_new(label && label[1] ? label + 1 : url, length, quiet);
	for (attempt = 0;; attempt++) {
		c = new_handle(url, &t);
		if (!c) {
			rc = vk_errorx(ENOMEM, "%s: cannot start libcurl", url);
			goto out;
		}
		t.checked_status = false;
		t.resuming = t.written > 0;
		t.resume_from = t.written;
		if (t.resuming)
			curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)t.written);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, to_file);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
		crc = curl_easy_perform(c);
		code = 0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		curl_easy_cleanup(c);
		if (crc == CURLE_OK && code < 400)
			break;
		if (!transient(crc, code) || attempt >= retries) {
			rc = transfer_error(url, crc, code);
			goto out;
		}
		if (!t.accept_ranges) {
			/* Cannot resume: begin again from byte 0. */
			if (ftruncate(t.fd, 0) < 0 || lseek(t.fd, 0, SEEK_SET) < 0) {
				rc = vk_error(errno, "%s", part);
				goto out;
			}
			t.written = 0;
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
	if (close(t.fd) < 0 && rc == 0)
		rc = vk_error(errno, "%s", part);
	return rc;
}

int vk_download_cached(const char *url, bool quiet, char **path_out)
{
	struct transfer t = { .fd = -1 };
	char name[128], *dir = NULL, *final = NULL, *part = NULL;
	uint64_t length = 0;
	struct stat st;
	int rc;

	rc = probe(url, &t, &length);
	if (rc == 0)
		rc = vk_errorx(ENOENT, "%s: HTTP 404 Not Found", url);
	if (rc < 0)
		goto out;
	rc = cache_dir(&dir);
	if (rc < 0)
		goto out;
	cache_name(url, &t, length, name, sizeof(name));
	if (asprintf(&final, "%s/%s", dir, name) < 0 || asprintf(&part, "%s/%s.part", dir, name) < 0) {
		final = part = NULL;
		rc = vk_error(ENOMEM, "%s", url);
		goto out;
	}
	/* Without validators the cached copy cannot be trusted to be current. */
	if ((t.etag[0] || t.last_modified[0]) && stat(final, &st) == 0 &&
	    (!length || (uint64_t)st.st_size == length)) {
		vk_debug("%s: cached as %s", url, final);
		goto done;
	}
	rc = fetch_to_part(url, part, length, quiet);
	if (rc == 0 && rename(part, final) < 0)
		rc = vk_error(errno, "%s", final);
	if (rc < 0) {
		unlink(part);
		goto out;
	}
	vk_fsync_parent(final);
done:
	*path_out = final;
	final = NULL;
out:
	free(dir);
	free(final);
	free(part);
	return rc;
}
