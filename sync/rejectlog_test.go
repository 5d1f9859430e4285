package sync_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	stdsync "sync"
	"testing"
	"unicode/utf8"

	"jiuzhu/app"
	jsync "jiuzhu/sync"
)

// logBuf is a log destination the server goroutines and the test share.
type logBuf struct {
	mu stdsync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// lines returns the JSON log lines after the first skip.
func (l *logBuf) lines(t *testing.T, skip int) []map[string]any {
	t.Helper()
	var out []map[string]any
	for i, ln := range strings.Split(strings.TrimSpace(l.String()), "\n") {
		if ln == "" || i < skip {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(ln), &m); err != nil {
			t.Fatalf("log line %q: %v", ln, err)
		}
		out = append(out, m)
	}
	return out
}

// Personal data that the rejected requests carry and the log must not.
const (
	piiID    = "110101199003077777"
	piiName  = "张三丰"
	piiBank  = "6222020200112233445"
	piiPhone = "13912345678"
)

var piiPayload = json.RawMessage(`{"name":"` + piiName + `","id_number":"` + piiID + `","bank_account":"` + piiBank + `","phone":"` + piiPhone + `"}`)

// TestEveryRejectionIsLogged: each way the county refuses a request writes
// exactly one "rejected" line with the code the device got, the status, path,
// client and device id; the log never holds a token, a body's personal data
// or a Chinese message.
func TestEveryRejectionIsLogged(t *testing.T) {
	ctx := context.Background()
	st, err := jsync.OpenSQLite(ctx, filepath.Join(t.TempDir(), "county.db"))
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuf{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	h := jsync.NewServer(st, jsync.WithLogger(logger))
	srv := httptest.NewServer(h)
	limited := httptest.NewServer(jsync.RateLimit(h, 1e-6, 1, logger))
	t.Cleanup(func() { srv.Close(); limited.Close(); st.Close() })
	c := &county{store: st, srv: srv}

	a := newDevice(t, c, "A", township, nil)
	aID := a.store.Device().ID
	tokB := c.enroll(t, "B", township)
	tokC := c.enroll(t, "C", township)
	tokR := c.enroll(t, "R", township)
	if err := st.Revoke(ctx, "R"); err != nil {
		t.Fatal(err)
	}
	tokens := []string{a.token, tokB, tokC, tokR}
	const unknownToken = "jz_unknown-token-4242"
	otherID := app.NewID()

	type request struct {
		method, path, token, device string
		body                        []byte
		chunked                     bool // no Content-Length
		header                      map[string]string
		base                        string // default srv
	}
	do := func(rq request) (int, []byte) {
		t.Helper()
		var body io.Reader
		if rq.body != nil {
			body = bytes.NewReader(rq.body)
			if rq.chunked {
				body = io.MultiReader(body) // hides the length
			}
		}
		base := rq.base
		if base == "" {
			base = srv.URL
		}
		req, err := http.NewRequest(rq.method, base+rq.path, body)
		if err != nil {
			t.Fatal(err)
		}
		if rq.token != "" {
			req.Header.Set("Authorization", "Bearer "+rq.token)
		}
		if rq.device != "" {
			req.Header.Set(jsync.HeaderDevice, rq.device)
		}
		for k, v := range rq.header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	push := func(deviceID string, schema int, events []app.Event) []byte {
		return gzipJSON(t, jsync.PushRequest{SchemaV: schema, DeviceID: deviceID, Events: events})
	}
	gz := map[string]string{"Content-Encoding": "gzip"}

	// A's first request binds its device id; successful requests log nothing.
	if st, b := do(request{method: "GET", path: "/v1/pull?since=0", token: a.token, device: aID}); st != 200 {
		t.Fatalf("first pull: %d %s", st, b)
	}
	if st, _ := do(request{method: "GET", path: "/v1/health", base: limited.URL}); st != 200 {
		t.Fatalf("health: %d", st) // takes the rate-limited server's only token
	}
	if s := logs.String(); s != "" {
		t.Fatalf("accepted requests were logged as refusals: %s", s)
	}

	out, err := a.store.OutboxEvents(ctx, 10)
	if err != nil || len(out) < 2 {
		t.Fatalf("outbox: %d events, %v", len(out), err)
	}
	withPII := func(events []app.Event, i int) []app.Event {
		cp := append([]app.Event(nil), events...)
		cp[i].Payload = piiPayload
		return cp
	}
	forged := withPII(out[:1], 0)
	forged[0].TownshipCode = township2
	foreign := withPII(out[:1], 0)
	foreign[0].DeviceID = otherID
	big := bytes.Repeat([]byte(`{"name":"`+piiName+`","id":"`+piiID+`"}`), jsync.MaxBodyBytes/40)
	sum := sha256.Sum256([]byte("another attachment"))
	otherSHA := hex.EncodeToString(sum[:])
	sum = sha256.Sum256([]byte("a third attachment"))
	thirdSHA := hex.EncodeToString(sum[:])
	blobURL := func(sha, q string) string { return "/v1/blobs/" + sha + q }

	for _, tc := range []struct {
		name    string
		req     request
		status  int
		code    string
		device  string // the id of the device the token belongs to ("" for none)
		claimed string // the id the request claims, when it differs
	}{
		{"no token", request{method: "POST", path: "/v1/push", device: aID, body: push(aID, app.SchemaVersion, withPII(out, 0)), header: gz},
			401, "no_token", "", aID},
		{"unknown token", request{method: "POST", path: "/v1/push", token: unknownToken, device: aID, body: push(aID, app.SchemaVersion, withPII(out, 0)), header: gz},
			401, "unknown_device", "", aID},
		{"revoked", request{method: "POST", path: "/v1/push", token: tokR, device: otherID, body: push(otherID, app.SchemaVersion, foreign), header: gz},
			403, "revoked", "", otherID},
		{"no device id", request{method: "GET", path: "/v1/pull?since=0", token: tokB},
			400, "no_device", "", ""},
		{"device id not a uuid is not logged", request{method: "GET", path: "/v1/pull?since=0", token: unknownToken, device: piiName + piiID},
			401, "unknown_device", "", ""},
		{"enrolment: device id bound to another token", request{method: "GET", path: "/v1/pull?since=0", token: tokC, device: aID},
			403, "bind", "", aID},
		{"token bound to another device", request{method: "POST", path: "/v1/push", token: a.token, device: otherID, body: push(otherID, app.SchemaVersion, foreign), header: gz},
			403, "other_device", aID, otherID},
		{"body names another device", request{method: "POST", path: "/v1/push", token: a.token, device: aID, body: push(otherID, app.SchemaVersion, foreign), header: gz},
			403, "other_device", aID, ""},
		{"other township", request{method: "POST", path: "/v1/push", token: a.token, device: aID, body: push(aID, app.SchemaVersion, forged), header: gz},
			403, "other_township", aID, ""},
		{"body too large", request{method: "POST", path: "/v1/push", token: a.token, device: aID, body: big},
			413, "too_large", aID, ""},
		{"body too large, no length", request{method: "POST", path: "/v1/push", token: a.token, device: aID, body: big, chunked: true},
			413, "too_large", aID, ""},
		{"body on a route without one", request{method: "GET", path: "/v1/pull?since=0", token: a.token, device: aID, body: piiPayload},
			413, "too_large", aID, ""},
		{"malformed json quoting the body", request{method: "POST", path: "/v1/push", token: a.token, device: aID, body: []byte(`{"` + piiName + `":"` + piiID + `"}`)},
			400, "bad_json", aID, ""},
		{"not gzip", request{method: "POST", path: "/v1/push", token: a.token, device: aID, body: piiPayload, header: gz},
			400, "bad_gzip", aID, ""},
		{"unknown encoding", request{method: "POST", path: "/v1/push", token: a.token, device: aID, body: piiPayload, header: map[string]string{"Content-Encoding": "br-" + piiName}},
			415, "encoding", aID, ""},
		{"old schema", request{method: "POST", path: "/v1/push", token: a.token, device: aID, body: push(aID, app.SchemaVersion-2, withPII(out, 0)), header: gz},
			426, "schema", aID, ""},
		{"gap", request{method: "POST", path: "/v1/push", token: a.token, device: aID, body: push(aID, app.SchemaVersion, withPII(out[1:], 0)), header: gz},
			409, "gap", aID, ""},
		{"events refused on rules", request{method: "POST", path: "/v1/push", token: a.token, device: aID, body: push(aID, app.SchemaVersion, withPII(out, 1)), header: gz},
			200, "event_rejected", aID, ""},
		{"bad since", request{method: "GET", path: "/v1/pull?since=" + piiID + piiName, token: a.token, device: aID},
			400, "bad_since", aID, ""},
		{"bad limit", request{method: "GET", path: "/v1/pull?since=0&limit=-1", token: a.token, device: aID},
			400, "bad_limit", aID, ""},
		{"bad sha", request{method: "GET", path: "/v1/blobs/not-a-sha", token: a.token, device: aID},
			400, "bad_sha", aID, ""},
		{"unknown attachment", request{method: "GET", path: blobURL(otherSHA, ""), token: a.token, device: aID},
			404, "not_found", aID, ""},
		{"bad offset", request{method: "PUT", path: blobURL(otherSHA, "?offset=x&size=3"), token: a.token, device: aID, body: []byte("abc")},
			400, "bad_offset", aID, ""},
		{"attachment chunk too large", request{method: "PUT", path: blobURL(otherSHA, "?offset=0&size=50000000"), token: a.token, device: aID, body: big},
			413, "too_large", aID, ""},
		{"attachment chunk too large, no length", request{method: "PUT", path: blobURL(otherSHA, "?offset=0&size=50000000"), token: a.token, device: aID, body: big, chunked: true},
			413, "too_large", aID, ""},
		{"attachment longer than its size", request{method: "PUT", path: blobURL(otherSHA, "?offset=0&size=2"), token: a.token, device: aID, body: piiPayload},
			400, "blob", aID, ""},
		{"attachment resumed at the wrong offset", request{method: "PUT", path: blobURL(thirdSHA, "?offset=5&size=500"), token: a.token, device: aID, body: piiPayload},
			409, "offset", aID, ""},
		{"attachment not matching its hash", request{method: "PUT", path: blobURL(thirdSHA, "?offset=0&size="+strconv.Itoa(len(piiPayload))), token: a.token, device: aID, body: piiPayload},
			422, "hash", aID, ""},
		{"no such route", request{method: "GET", path: "/v1/nothing", token: a.token, device: aID},
			404, "no_route", "", aID},
		{"wrong method", request{method: "DELETE", path: "/v1/push", token: a.token, device: aID},
			405, "method", "", aID},
		{"rate limited", request{method: "POST", path: "/v1/push", token: a.token, device: aID, body: push(aID, app.SchemaVersion, withPII(out, 0)), header: gz, base: limited.URL},
			429, "rate_limited", "", aID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(logs.lines(t, 0))
			status, body := do(tc.req)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			if tc.status != 200 && tc.code != "gap" {
				var er jsync.ErrorReply
				if err := json.Unmarshal(body, &er); err != nil || er.Code != tc.code || er.Message == "" {
					t.Errorf("reply %s (%v), want code %q and a message", body, err, tc.code)
				}
			}
			lines := logs.lines(t, before)
			if len(lines) != 1 {
				t.Fatalf("%d log lines, want 1: %v", len(lines), lines)
			}
			l := lines[0]
			path, _, _ := strings.Cut(tc.req.path, "?")
			level := "WARN"
			if tc.status == http.StatusConflict {
				level = "INFO"
			}
			for k, want := range map[string]any{"msg": "rejected", "level": level, "code": tc.code, "status": float64(tc.status),
				"path": path, "client": "127.0.0.1"} {
				if l[k] != want {
					t.Errorf("%s = %v, want %v (%v)", k, l[k], want, l)
				}
			}
			if dev, _ := l["device"].(string); dev != tc.device {
				t.Errorf("device = %q, want %q", dev, tc.device)
			}
			if dev, _ := l["claimed_device"].(string); dev != tc.claimed {
				t.Errorf("claimed_device = %q, want %q", dev, tc.claimed)
			}
			if tc.code == "event_rejected" && (l["events"] != float64(1) || l["event_ids"] != out[1].ID) {
				t.Errorf("refused events: %v", l)
			}
		})
	}

	all := logs.String()
	for _, secret := range append(tokens, unknownToken, piiID, piiName, piiBank, piiPhone, jsync.HashToken(a.token)) {
		if strings.Contains(all, secret) {
			t.Errorf("the log holds %q:\n%s", secret, all)
		}
	}
	for i, r := range all {
		if r >= utf8.RuneSelf {
			t.Fatalf("the log holds non-ASCII text (a message or a name?) at %d: %s", i, all)
		}
	}
}
