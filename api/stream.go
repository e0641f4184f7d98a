package api

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"tierbase/platform/problem"
)

// StreamHeartbeat is how often an idle notification stream sends a comment line, so proxies
// keep it open and a session that ended (logged out elsewhere, expired) closes it.
var StreamHeartbeat = 25 * time.Second

// streams are the open notification streams, so that logout and shutdown can end them.
type streams struct {
	mu     sync.Mutex
	open   map[*stream]struct{}
	closed bool // the server is shutting down: no new streams
}

type stream struct {
	token string // the session (or API token) it belongs to
	user  int64  // whose session it is
	done  chan struct{}
}

func (ss *streams) add(token string, user int64) (*stream, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.closed {
		return nil, false
	}
	if ss.open == nil {
		ss.open = map[*stream]struct{}{}
	}
	st := &stream{token: token, user: user, done: make(chan struct{})}
	ss.open[st] = struct{}{}
	return st, true
}

func (ss *streams) remove(st *stream) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.open, st)
}

// end closes the streams of token (all of them when token is "").
func (ss *streams) end(token string) {
	ss.endIf(func(st *stream) bool { return token == "" || st.token == token })
}

// endUser closes the user's streams but those of the session keep: their sessions ended.
func (ss *streams) endUser(user int64, keep string) {
	ss.endIf(func(st *stream) bool { return st.user == user && st.token != keep })
}

func (ss *streams) endIf(match func(*stream) bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for st := range ss.open {
		if match(st) {
			close(st.done)
			delete(ss.open, st)
		}
	}
}

// CloseStreams ends every open notification stream and refuses new ones: the server is
// shutting down (http.Server.Shutdown waits for handlers, and a stream never ends by itself;
// serve registers this with RegisterOnShutdown).
func (s *Server) CloseStreams() {
	s.live.mu.Lock()
	s.live.closed = true
	s.live.mu.Unlock()
	s.live.end("")
}

func init() {
	problem.AddMessage("shutting_down", "服务器正在重启，请稍后刷新页面", "the server is restarting; reload the page in a moment")
}

// notificationStream sends the signed-in user's unread count as server-sent events: once at
// the start, then after each committed change of their inbox (inbox.Service.Subscribe), with
// a comment line every StreamHeartbeat. It ends when the client goes, the session is logged
// out or the server shuts down.
func (s *Server) notificationStream(w http.ResponseWriter, r *http.Request) error {
	token, user := tokenOf(r), actor(r).UserID
	st, ok := s.live.add(token, user)
	if !ok {
		return problem.New(http.StatusServiceUnavailable, "shutting_down")
	}
	defer s.live.remove(st)
	changed, stop := s.Inbox.Subscribe(user)
	defer stop()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: pass events on at once
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	ctx := r.Context()
	send := func() bool {
		unread, err := s.Inbox.Unread(ctx, user)
		if err != nil {
			return false
		}
		fmt.Fprintf(w, "event: inbox\ndata: {\"unread\":%d}\n\n", unread)
		return rc.Flush() == nil
	}
	fmt.Fprint(w, "retry: 3000\n\n") // how long the browser waits before reconnecting
	if !send() {
		return nil
	}
	beat := time.NewTicker(StreamHeartbeat)
	defer beat.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-st.done:
			return nil
		case <-changed:
			if !send() {
				return nil
			}
		case <-beat.C:
			if _, _, ok := s.Users.Authenticate(token); !ok {
				return nil
			}
			fmt.Fprint(w, ": ping\n\n")
			if rc.Flush() != nil {
				return nil
			}
		}
	}
}

// tokenOf is the session of a request: its bearer token, or else its session cookie.
func tokenOf(r *http.Request) string {
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		return strings.TrimPrefix(h, "Bearer ")
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		return c.Value
	}
	return ""
}
