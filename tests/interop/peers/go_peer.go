// Go's WebSocket implementations against our programs: gorilla/websocket
// (Debian's golang-github-gorilla-websocket-dev) and nhooyr.io/websocket
// (golang-nhooyr-websocket-dev). go_interop.py starts our programs, runs this
// one and reads the servers' logs; CMake builds it offline in GOPATH mode.
//
// Usage:
//
//	go_peer echo gorilla|nhooyr URL SEED DEADLINE_MS
//	go_peer chat URL DEADLINE_MS
//	go_peer server gorilla|nhooyr PORT
//
// echo: URL is echo_server started with --protocol echo.v2 --protocol
// echo.v1. The client offers [echo.v1 echo.v2] and gets echo.v2 (the
// server's preference), and offers permessage-deflate, which the server
// declines: no frame on the wire may then have an RSV bit. Text (ASCII, 2-
// to 4-byte UTF-8, empty), binary (every byte value, empty), both at 125,
// 126, 65535, 65536, 1 MiB and 16 MiB (echo_server's --max-message), a
// message written in pieces that the library sends as many frames, pings
// with 0 and 125 bytes answered by pongs with the same payload, 1000
// messages in order, then close 1000 answered with 1000 and the TCP close.
//
// chat: URL is chat_server started with --ping-interval 1. Three gorilla
// clients; each one's text reaches all three as "Server: <text>", binary
// unchanged; in 2.5 s of silence the server pings each, and gorilla answers
// on its own; close 1000 answered with 1000.
//
// server: an echo server on 127.0.0.1:PORT (0: a free port; it prints
// "listening on 127.0.0.1:N") selecting subprotocol superchat when offered.
// Right after the upgrade it pings the client (gorilla: payloads of 0, 12
// and 125 bytes; nhooyr: its own), then echoes every message. It prints one
// line per event for go_interop.py:
//
//	connected PATH protocol=P extensions=E
//	message PATH text|binary LEN SHA256
//	closed PATH code=C pongs=N/M
//
// Each check prints "ok: ..." or "FAIL: ..."; the exit status is 0 only when
// all passed. The wire itself is watched (wireConn), so a claim such as "no
// compression" or "sent as 97 frames" is about bytes, not about the
// library's state.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	gorilla "github.com/gorilla/websocket"
	nhooyr "nhooyr.io/websocket"
)

// ------------------------------------------------------------------ checks

var (
	failed, passed int
	checkMu        sync.Mutex
)

func check(ok bool, what string, detail ...interface{}) bool {
	checkMu.Lock()
	defer checkMu.Unlock()
	if ok {
		passed++
		fmt.Printf("ok: %s\n", what)
	} else {
		failed++
		fmt.Printf("FAIL: %s -- %s\n", what, fmt.Sprint(detail...))
	}
	return ok
}

func info(format string, args ...interface{}) {
	fmt.Printf("info: "+format+"\n", args...)
}

func finish() {
	checkMu.Lock()
	fmt.Printf("info: %d checks ok, %d failed\n", passed, failed)
	if failed > 0 || passed == 0 {
		os.Exit(1)
	}
	os.Exit(0)
}

// ------------------------------------------------------------ the wire

// frameInfo is one frame seen on the wire; payload is kept (unmasked) for
// control frames only.
type frameInfo struct {
	fin     bool
	rsv     byte
	opcode  byte
	masked  bool
	length  uint64
	payload []byte
}

// frameScanner follows one direction of a connection: the HTTP head up to
// its blank line, then frame headers, skipping data payloads.
type frameScanner struct {
	head     []byte
	headDone bool
	hdr      []byte
	need     int // header bytes still missing for hdr
	remain   uint64
	cur      *frameInfo
	frames   []frameInfo
}

func (s *frameScanner) feed(p []byte) {
	for len(p) > 0 {
		if !s.headDone {
			s.head = append(s.head, p[0])
			p = p[1:]
			s.headDone = bytes.HasSuffix(s.head, []byte("\r\n\r\n"))
			continue
		}
		if s.cur == nil {
			s.hdr = append(s.hdr, p[0])
			p = p[1:]
			if len(s.hdr) == 2 {
				s.need = 2
				switch s.hdr[1] & 0x7f {
				case 126:
					s.need += 2
				case 127:
					s.need += 8
				}
				if s.hdr[1]&0x80 != 0 {
					s.need += 4
				}
			}
			if len(s.hdr) < 2 || len(s.hdr) < s.need {
				continue
			}
			f := frameInfo{fin: s.hdr[0]&0x80 != 0, rsv: s.hdr[0] >> 4 & 7, opcode: s.hdr[0] & 0xf,
				masked: s.hdr[1]&0x80 != 0, length: uint64(s.hdr[1] & 0x7f)}
			pos := 2
			if f.length == 126 {
				f.length = uint64(binary.BigEndian.Uint16(s.hdr[2:]))
				pos = 4
			} else if f.length == 127 {
				f.length = binary.BigEndian.Uint64(s.hdr[2:])
				pos = 10
			}
			s.cur = &f
			s.remain = f.length
			if f.masked {
				// Kept for unmasking a control payload.
				s.hdr = s.hdr[pos : pos+4]
			}
		}
		n := uint64(len(p))
		if n > s.remain {
			n = s.remain
		}
		if s.cur.opcode >= 8 {
			s.cur.payload = append(s.cur.payload, p[:n]...)
		}
		p = p[n:]
		s.remain -= n
		if s.remain == 0 {
			if s.cur.masked {
				for i := range s.cur.payload {
					s.cur.payload[i] ^= s.hdr[i%4]
				}
			}
			s.frames = append(s.frames, *s.cur)
			s.cur = nil
			s.hdr = s.hdr[:0]
		}
	}
}

// wireConn records what crosses a client's connection in both directions.
type wireConn struct {
	net.Conn
	mu   sync.Mutex
	sent frameScanner
	recv frameScanner
}

func (w *wireConn) Read(p []byte) (int, error) {
	n, err := w.Conn.Read(p)
	w.mu.Lock()
	w.recv.feed(p[:n])
	w.mu.Unlock()
	return n, err
}

// Recorded before it is written: the answer may be read (nhooyr's
// http.Transport writes from another goroutine) before Write returns.
// A TCP Write writes all of p or fails the connection.
func (w *wireConn) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.sent.feed(p)
	w.mu.Unlock()
	return w.Conn.Write(p)
}

// marks returns how many frames each direction has seen so far.
func (w *wireConn) marks() (int, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.sent.frames), len(w.recv.frames)
}

func (w *wireConn) sentSince(mark int) []frameInfo {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]frameInfo(nil), w.sent.frames[mark:]...)
}

func (w *wireConn) recvSince(mark int) []frameInfo {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]frameInfo(nil), w.recv.frames[mark:]...)
}

// anyRSV is the first frame with an RSV bit set, in either direction.
func (w *wireConn) anyRSV() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	for dir, frames := range map[string][]frameInfo{"sent": w.sent.frames, "received": w.recv.frames} {
		for i, f := range frames {
			if f.rsv != 0 {
				return fmt.Sprintf("%s frame %d has RSV %d", dir, i, f.rsv)
			}
		}
	}
	return ""
}

func (w *wireConn) heads() (string, string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.sent.head), string(w.recv.head)
}

// dialer hands out wireConns and remembers the last one.
type dialer struct {
	last *wireConn
}

func (d *dialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var nd net.Dialer
	c, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	d.last = &wireConn{Conn: c}
	return d.last, nil
}

// headerValue is a header's value in a raw HTTP head ("" when absent).
func headerValue(head, name string) string {
	for _, line := range strings.Split(head, "\r\n") {
		if i := strings.IndexByte(line, ':'); i > 0 && strings.EqualFold(line[:i], name) {
			return strings.TrimSpace(line[i+1:])
		}
	}
	return ""
}

// ------------------------------------------------------------ messages

type message struct {
	label  string
	binary bool
	data   []byte
}

func describe(binary bool, data []byte) string {
	kind := "text"
	if binary {
		kind = "binary"
	}
	n := len(data)
	if n > 16 {
		n = 16
	}
	return fmt.Sprintf("%s[%d] %x", kind, len(data), data[:n])
}

func mismatch(m message, binary bool, got []byte) string {
	i := 0
	for i < len(m.data) && i < len(got) && m.data[i] == got[i] {
		i++
	}
	return fmt.Sprintf("sent %s, got %s, first difference at byte %d", describe(m.binary, m.data),
		describe(binary, got), i)
}

// 1- to 4-byte UTF-8 sequences, the edges of the planes among them.
var alphabet = func() []string {
	var a []string
	for c := rune(0x20); c < 0x7f; c++ {
		a = append(a, string(c))
	}
	for _, c := range []rune{0x0, 0x7f, 0x80, 0xe9, 0x7ff, 0x800, 0x20ac, 0x4e2d, 0xd7ff, 0xe000,
		0xfffd, 0xffff, 0x10000, 0x1f600, 0x1f680, 0x10ffff} {
		for k := 0; k < 8; k++ {
			a = append(a, string(c))
		}
	}
	return a
}()

// randomText is valid UTF-8 of exactly n bytes (padded with ASCII).
func randomText(rng *rand.Rand, n int) []byte {
	b := make([]byte, 0, n)
	for {
		s := alphabet[rng.Intn(len(alphabet))]
		if len(b)+len(s) > n {
			break
		}
		b = append(b, s...)
	}
	for len(b) < n {
		b = append(b, 'x')
	}
	return b
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	rng.Read(b)
	return b
}

func echoPlan(seed int64) []message {
	rng := rand.New(rand.NewSource(seed))
	all := make([]byte, 512)
	for i := 0; i < 256; i++ {
		all[i], all[511-i] = byte(i), byte(i)
	}
	plan := []message{
		{"ASCII text", false, []byte("hello from Go")},
		{"multibyte text (2-, 3- and 4-byte UTF-8)", false,
			[]byte("h\u00e9llo w\u00f6rld \u2014 \u4e2d\u6587 \U0001f600\U0001f680 \x00 \U0010ffff end")},
		{"empty text", false, []byte{}},
		{"binary with all 256 byte values", true, all},
		{"empty binary", true, []byte{}},
	}
	for _, n := range []int{125, 126, 65535, 65536, 1 << 20, 16 << 20} {
		plan = append(plan, message{fmt.Sprintf("%d-byte text", n), false, randomText(rng, n)},
			message{fmt.Sprintf("%d-byte binary", n), true, randomBytes(rng, n)})
	}
	return plan
}

// ---------------------------------------------------- a client, two libraries

// client is what the echo checks need from either library.
type client interface {
	send(binary bool, data []byte) error
	// sendPieces writes one message through the library's streaming
	// writer, one Write per piece.
	sendPieces(binary bool, pieces [][]byte) error
	recv() (binary bool, data []byte, err error)
	// ping sends a ping with payload (nil: the library's own) and waits,
	// reading, for its pong; it reports the pong's payload.
	ping(payload []byte) (pong []byte, err error)
	// close sends close 1000 and waits for the server's close.
	close(reason string) error
	subprotocol() string
}

type gorillaClient struct {
	c     *gorilla.Conn
	pongs chan string
}

func dialGorilla(url string, d *dialer, protocols []string, writeBuffer int) (*gorillaClient, error) {
	gd := gorilla.Dialer{
		NetDialContext:    d.dial,
		Subprotocols:      protocols,
		EnableCompression: true,
		WriteBufferSize:   writeBuffer,
		HandshakeTimeout:  10 * time.Second,
	}
	c, _, err := gd.Dial(url, nil)
	if err != nil {
		return nil, err
	}
	g := &gorillaClient{c: c, pongs: make(chan string, 8)}
	c.SetPongHandler(func(s string) error { g.pongs <- s; return nil })
	return g, nil
}

func gorillaType(binary bool) int {
	if binary {
		return gorilla.BinaryMessage
	}
	return gorilla.TextMessage
}

func (g *gorillaClient) send(binary bool, data []byte) error {
	return g.c.WriteMessage(gorillaType(binary), data)
}

func (g *gorillaClient) sendPieces(binary bool, pieces [][]byte) error {
	w, err := g.c.NextWriter(gorillaType(binary))
	return writePieces(w, err, pieces)
}

// writePieces writes one message through a library's message writer (err:
// the error from opening it), a Write per piece, then ends the message.
func writePieces(w io.WriteCloser, err error, pieces [][]byte) error {
	if err != nil {
		return err
	}
	for _, p := range pieces {
		if _, err := w.Write(p); err != nil {
			return err
		}
	}
	return w.Close()
}

func (g *gorillaClient) recv() (bool, []byte, error) {
	t, data, err := g.c.ReadMessage()
	return t == gorilla.BinaryMessage, data, err
}

// The pong handler runs inside ReadMessage: a text message sent after the
// ping comes back after the pong, so reading its echo has read the pong.
func (g *gorillaClient) ping(payload []byte) ([]byte, error) {
	if err := g.c.WriteControl(gorilla.PingMessage, payload, time.Now().Add(10*time.Second)); err != nil {
		return nil, err
	}
	if err := g.send(false, []byte("after the ping")); err != nil {
		return nil, err
	}
	if _, data, err := g.recv(); err != nil || string(data) != "after the ping" {
		return nil, fmt.Errorf("echo after the ping: %q %v", data, err)
	}
	select {
	case s := <-g.pongs:
		return []byte(s), nil
	default:
		return nil, errors.New("no pong before the echo of the next message")
	}
}

func (g *gorillaClient) close(reason string) error {
	msg := gorilla.FormatCloseMessage(gorilla.CloseNormalClosure, reason)
	if err := g.c.WriteControl(gorilla.CloseMessage, msg, time.Now().Add(10*time.Second)); err != nil {
		return err
	}
	// ReadMessage answers the server's close through the close handler
	// (already sent: gorilla notes it and sends nothing) and returns it.
	_, _, err := g.c.ReadMessage()
	var ce *gorilla.CloseError
	if !errors.As(err, &ce) {
		return fmt.Errorf("ReadMessage after close: %v", err)
	}
	if ce.Code != gorilla.CloseNormalClosure || ce.Text != reason {
		return fmt.Errorf("the server's close has code %d and reason %q, not the %d %q sent",
			ce.Code, ce.Text, gorilla.CloseNormalClosure, reason)
	}
	return nil
}

func (g *gorillaClient) subprotocol() string { return g.c.Subprotocol() }

type nhooyrClient struct {
	c   *nhooyr.Conn
	w   *wireConn
	ctx context.Context
}

func dialNhooyr(ctx context.Context, url string, d *dialer, protocols []string) (*nhooyrClient, error) {
	hc := &http.Client{Transport: &http.Transport{DialContext: d.dial}}
	c, _, err := nhooyr.Dial(ctx, url, &nhooyr.DialOptions{
		HTTPClient:      hc,
		Subprotocols:    protocols,
		CompressionMode: nhooyr.CompressionNoContextTakeover,
	})
	if err != nil {
		return nil, err
	}
	// Its default is 32 KiB; echo_server's is 16 MiB.
	c.SetReadLimit(32 << 20)
	return &nhooyrClient{c: c, w: d.last, ctx: ctx}, nil
}

func nhooyrType(binary bool) nhooyr.MessageType {
	if binary {
		return nhooyr.MessageBinary
	}
	return nhooyr.MessageText
}

func (n *nhooyrClient) send(binary bool, data []byte) error {
	return n.c.Write(n.ctx, nhooyrType(binary), data)
}

func (n *nhooyrClient) sendPieces(binary bool, pieces [][]byte) error {
	w, err := n.c.Writer(n.ctx, nhooyrType(binary))
	return writePieces(w, err, pieces)
}

func (n *nhooyrClient) recv() (bool, []byte, error) {
	t, data, err := n.c.Read(n.ctx)
	return t == nhooyr.MessageBinary, data, err
}

// nhooyr picks the ping's payload itself and matches the pong to it; its
// Ping needs a Read in progress to see the pong. The text goes out once the
// ping is on the wire, so its echo comes after the pong.
func (n *nhooyrClient) ping(payload []byte) ([]byte, error) {
	mark, _ := n.w.marks()
	done := make(chan error, 1)
	go func() { done <- n.c.Ping(n.ctx) }()
	for i := 0; ; i++ {
		if i == 1000 {
			return nil, errors.New("no ping on the wire within 5 s")
		}
		if frames := n.w.sentSince(mark); len(frames) > 0 && frames[0].opcode == 9 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := n.send(false, []byte("after the ping")); err != nil {
		return nil, err
	}
	if _, data, err := n.recv(); err != nil || string(data) != "after the ping" {
		return nil, fmt.Errorf("echo after the ping: %q %v", data, err)
	}
	select {
	case err := <-done:
		return nil, err
	case <-time.After(10 * time.Second):
		return nil, errors.New("Ping did not return")
	}
}

func (n *nhooyrClient) close(reason string) error {
	return n.c.Close(nhooyr.StatusNormalClosure, reason)
}

func (n *nhooyrClient) subprotocol() string { return n.c.Subprotocol() }

// ------------------------------------------------------------ echo

func echo(lib, base string, seed int64) {
	ctx := context.Background()
	plan := echoPlan(seed)
	var d dialer
	protocols := []string{"echo.v1", "echo.v2"}
	var c client
	var err error
	url := base + "/" + lib + "/echo"
	if lib == "gorilla" {
		c, err = dialGorilla(url, &d, protocols, 0)
	} else {
		c, err = dialNhooyr(ctx, url, &d, protocols)
	}
	if !check(err == nil, lib+": connects to "+url, err) {
		return
	}
	w := d.last
	request, response := w.heads()
	check(strings.Contains(headerValue(request, "Sec-WebSocket-Extensions"), "permessage-deflate"),
		lib+": offers permessage-deflate", headerValue(request, "Sec-WebSocket-Extensions"))
	check(headerValue(response, "Sec-WebSocket-Extensions") == "",
		lib+": the server's 101 takes no extension", response)
	check(c.subprotocol() == "echo.v2", lib+": offering [echo.v1 echo.v2] gets echo.v2, the server's preference",
		c.subprotocol(), " ", headerValue(response, "Sec-WebSocket-Protocol"))

	for _, m := range plan {
		start := time.Now()
		if err := c.send(m.binary, m.data); err != nil {
			check(false, lib+": "+m.label+" sent", err)
			return
		}
		binary, got, err := c.recv()
		if !check(err == nil && binary == m.binary && bytes.Equal(got, m.data), lib+": "+m.label+" echoed exactly",
			mismatch(m, binary, got), " ", err) {
			return
		}
		if len(m.data) >= 1<<20 {
			info("%s: %s round trip in %v", lib, m.label, time.Since(start).Round(time.Millisecond))
		}
	}

	// One message written in pieces, one cut inside a 4-byte sequence.
	// gorilla sends a message as frames of its write buffer (64 bytes on a
	// second connection here), nhooyr one frame per Write plus an empty
	// final one.
	text := []byte(strings.Repeat("fr\u00e4gment\u00e9d \U0001f600 \u4e2d ", 40))
	cut := bytes.Index(text, []byte("\U0001f600")) + 2
	pieces := [][]byte{text[:3], text[3:cut], {}, text[cut : len(text)/2], text[len(text)/2:]}
	bin := randomBytes(rand.New(rand.NewSource(seed+1)), 3000)
	binPieces := [][]byte{bin[:1], bin[1:1000], {}, bin[1000:]}
	fc, fw := c, w
	if lib == "gorilla" {
		var fd dialer
		g, err := dialGorilla(base+"/gorilla/fragments", &fd, nil, 64)
		if !check(err == nil, "gorilla: second connection, WriteBufferSize 64", err) {
			return
		}
		fc, fw = g, fd.last
	}
	for _, m := range []struct {
		msg    message
		pieces [][]byte
	}{{message{"text written in 5 pieces (one cut inside a UTF-8 sequence)", false, text}, pieces},
		{message{"binary written in 4 pieces", true, bin}, binPieces}} {
		mark, _ := fw.marks()
		if err := fc.sendPieces(m.msg.binary, m.pieces); err != nil {
			check(false, lib+": "+m.msg.label+" sent", err)
			return
		}
		binary, got, err := fc.recv()
		frames := fw.sentSince(mark)
		shape := len(frames) > 1 && frames[0].opcode == map[bool]byte{false: 1, true: 2}[m.msg.binary]
		for i, f := range frames {
			shape = shape && f.fin == (i == len(frames)-1) && (i == 0 || f.opcode == 0)
		}
		check(shape, fmt.Sprintf("%s: %s goes as %d frames (first with the opcode, the rest "+
			"continuations, FIN on the last)", lib, m.msg.label, len(frames)), fmt.Sprintf("%+v", frames))
		check(err == nil && binary == m.msg.binary && bytes.Equal(got, m.msg.data),
			lib+": "+m.msg.label+" echoed as one message", mismatch(m.msg, binary, got), " ", err)
	}
	if lib == "gorilla" {
		if err := fc.close("bye from gorilla fragments"); !check(err == nil,
			"gorilla: second connection: close 1000 answered with 1000", err) {
			return
		}
	}

	// Pings: gorilla chooses the payload (0 and 125 bytes here); nhooyr
	// sends its own and matches the pong itself.
	payloads := [][]byte{{}, bytes.Repeat([]byte{0xa5}, 125)}
	if lib == "nhooyr" {
		payloads = [][]byte{nil}
	}
	for _, p := range payloads {
		_, recvMark := w.marks()
		pong, err := c.ping(p)
		var wirePong []byte
		for _, f := range w.recvSince(recvMark) {
			if f.opcode == 0xa {
				wirePong = f.payload
				break
			}
		}
		if p == nil {
			check(err == nil && wirePong != nil, "nhooyr: Ping returns: a pong with its payload came back",
				err, fmt.Sprintf(" pong on the wire %q", wirePong))
		} else {
			check(err == nil && bytes.Equal(pong, p) && bytes.Equal(wirePong, p),
				fmt.Sprintf("%s: ping with %d bytes -> pong with the same payload", lib, len(p)),
				err, fmt.Sprintf(" handler %x, wire %x", pong, wirePong))
		}
	}

	// 1000 messages written while another goroutine reads: all back, in order.
	const count = 1000
	errc := make(chan error, 1)
	go func() {
		for i := 0; i < count; i++ {
			if err := c.send(i%2 == 1, []byte(fmt.Sprintf("message %d \u00e9", i))); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	inOrder := 0
	var bad string
	for inOrder < count {
		binary, got, err := c.recv()
		want := fmt.Sprintf("message %d \u00e9", inOrder)
		if err != nil || binary != (inOrder%2 == 1) || string(got) != want {
			bad = fmt.Sprintf("message %d: got %q (binary %v) %v", inOrder, got, binary, err)
			break
		}
		inOrder++
	}
	werr := <-errc
	check(inOrder == count && werr == nil, fmt.Sprintf("%s: %d messages sent at once come back in order", lib, count),
		bad, " ", werr)

	check(w.anyRSV() == "", lib+": no frame with an RSV bit either way (no compression)", w.anyRSV())

	_, recvMark := w.marks()
	err = c.close("bye from " + lib)
	var closeCode = -1
	for _, f := range w.recvSince(recvMark) {
		if f.opcode == 8 && len(f.payload) >= 2 {
			closeCode = int(binary.BigEndian.Uint16(f.payload))
		}
	}
	check(err == nil && closeCode == 1000, lib+": close 1000 -> the server's close carries 1000",
		err, fmt.Sprintf(" code on the wire %d", closeCode))
	if end := serverCloses(w); end == "ours" {
		info("%s: closed the TCP connection itself once the close handshake was done", lib)
	} else {
		check(end == "eof", lib+": then the server closes TCP", end)
	}
}

// serverCloses reads the connection (through the recorder) until it ends
// or 5 s pass: "eof" (the server closed TCP), "reset", "timeout", or
// "ours" when the library has closed the connection itself.
func serverCloses(w *wireConn) string {
	w.Conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var buf [4096]byte
	for i := 0; i < 256; i++ {
		_, err := w.Read(buf[:])
		var ne net.Error
		switch {
		case err == nil:
			continue
		case errors.Is(err, io.EOF):
			return "eof"
		case errors.Is(err, net.ErrClosed):
			return "ours"
		case errors.As(err, &ne) && ne.Timeout():
			return "timeout"
		default:
			return "reset"
		}
	}
	return "timeout"
}

// ------------------------------------------------------------ chat

type received struct {
	binary bool
	data   []byte
	err    error
}

// reader reads g until an error, so that pings are answered (gorilla does
// so from inside a read) while the room is silent too.
func reader(g *gorillaClient) chan received {
	ch := make(chan received, 64)
	go func() {
		for {
			binary, data, err := g.recv()
			ch <- received{binary, data, err}
			if err != nil {
				return
			}
		}
	}()
	return ch
}

func next(ch chan received) received {
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		return received{err: errors.New("nothing within 10 s")}
	}
}

func chat(base string) {
	const n = 3
	conns := make([]*gorillaClient, n)
	wires := make([]*wireConn, n)
	inbox := make([]chan received, n)
	for i := range conns {
		var d dialer
		g, err := dialGorilla(fmt.Sprintf("%s/gorilla/chat-%d", base, i), &d, nil, 0)
		if !check(err == nil, fmt.Sprintf("chat: client %d connects", i), err) {
			return
		}
		conns[i], wires[i], inbox[i] = g, d.last, reader(g)
	}
	sends := []message{
		{"text from client 0", false, []byte("from gorilla 0: h\u00e9llo \U0001f600")},
		{"text from client 1", false, []byte("from gorilla 1: \u4e2d\u6587 \u2014 ok")},
		{"empty text from client 2", false, []byte{}},
		{"binary from client 2", true, append(randomBytes(rand.New(rand.NewSource(7)), 1000), 0, 0xff)},
	}
	from := []int{0, 1, 2, 2}
	for k, m := range sends {
		if err := conns[from[k]].send(m.binary, m.data); err != nil {
			check(false, "chat: "+m.label+" sent", err)
			return
		}
		want := m
		how := " unchanged"
		if !m.binary {
			want.data = append([]byte("Server: "), m.data...)
			how = " as Server: <text>"
		}
		for i := range conns {
			r := next(inbox[i])
			check(r.err == nil && r.binary == want.binary && bytes.Equal(r.data, want.data),
				fmt.Sprintf("chat: %s reaches client %d%s", m.label, i, how), mismatch(want, r.binary, r.data),
				" ", r.err)
		}
	}

	// chat_server (--ping-interval 1) pings a client after 1 s of silence
	// and drops it after another second without an answer.
	marks := make([]int, n)
	sentMarks := make([]int, n)
	for i, w := range wires {
		sentMarks[i], marks[i] = w.marks()
	}
	silence := 2500 * time.Millisecond
	time.Sleep(silence)
	for i, w := range wires {
		// A ping read just now may still wait for its pong: up to 2 s more.
		pings, pongs := 0, 0
		for try := 0; try < 200; try++ {
			pings, pongs = 0, 0
			for _, f := range w.recvSince(marks[i]) {
				if f.opcode == 9 {
					pings++
				}
			}
			for _, f := range w.sentSince(sentMarks[i]) {
				if f.opcode == 0xa {
					pongs++
				}
			}
			if pings >= 1 && pongs == pings {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		check(pings >= 1 && pongs == pings, fmt.Sprintf("chat: client %d: in %v of silence chat_server "+
			"pings, gorilla answers each with a pong", i, silence), fmt.Sprintf("%d pings, %d pongs", pings, pongs))
	}
	for i, g := range conns {
		msg := gorilla.FormatCloseMessage(1000, fmt.Sprintf("bye from gorilla %d", i))
		err := g.c.WriteControl(gorilla.CloseMessage, msg, time.Now().Add(10*time.Second))
		r := next(inbox[i])
		var ce *gorilla.CloseError
		check(err == nil && errors.As(r.err, &ce) && ce.Code == 1000,
			fmt.Sprintf("chat: client %d: close 1000 -> 1000 back", i), err, " ", r.err)
		check(serverCloses(wires[i]) == "eof", fmt.Sprintf("chat: client %d: then the server closes TCP", i))
	}
}

// ------------------------------------------------------------ server

const protocol = "superchat"

var outMu sync.Mutex

func event(format string, args ...interface{}) {
	outMu.Lock()
	defer outMu.Unlock()
	fmt.Printf(format+"\n", args...)
}

func recordMessage(path string, binary bool, data []byte) {
	kind := "text"
	if binary {
		kind = "binary"
	}
	sum := sha256.Sum256(data)
	event("message %s %s %d %s", path, kind, len(data), hex.EncodeToString(sum[:]))
}

func gorillaHandler(w http.ResponseWriter, r *http.Request) {
	up := gorilla.Upgrader{Subprotocols: []string{protocol}, HandshakeTimeout: 10 * time.Second}
	c, err := up.Upgrade(w, r, nil)
	if err != nil {
		event("upgrade-failed %s %v", r.URL.Path, err)
		return
	}
	defer c.Close()
	path := r.URL.Path
	event("connected %s protocol=%s extensions=%s", path, c.Subprotocol(), r.Header.Get("Sec-WebSocket-Extensions"))
	pings := []string{"", "gorilla ping", strings.Repeat("p", 125)}
	var mu sync.Mutex
	pongs := 0
	next := 0
	c.SetPongHandler(func(s string) error {
		mu.Lock()
		defer mu.Unlock()
		if next < len(pings) && s == pings[next] {
			pongs++
		} else {
			event("unexpected-pong %s %q", path, s)
		}
		next++
		return nil
	})
	for _, p := range pings {
		if err := c.WriteControl(gorilla.PingMessage, []byte(p), time.Now().Add(10*time.Second)); err != nil {
			event("ping-failed %s %v", path, err)
		}
	}
	code := -1
	for {
		t, data, err := c.ReadMessage()
		if err != nil {
			var ce *gorilla.CloseError
			if errors.As(err, &ce) {
				code = ce.Code
			} else {
				event("read-error %s %v", path, err)
			}
			break
		}
		recordMessage(path, t == gorilla.BinaryMessage, data)
		if err := c.WriteMessage(t, data); err != nil {
			event("write-error %s %v", path, err)
			break
		}
	}
	mu.Lock()
	event("closed %s code=%d pongs=%d/%d", path, code, pongs, len(pings))
	mu.Unlock()
}

func nhooyrHandler(w http.ResponseWriter, r *http.Request) {
	c, err := nhooyr.Accept(w, r, &nhooyr.AcceptOptions{Subprotocols: []string{protocol}})
	if err != nil {
		event("upgrade-failed %s %v", r.URL.Path, err)
		return
	}
	defer c.Close(nhooyr.StatusInternalError, "handler ended")
	c.SetReadLimit(32 << 20)
	path := r.URL.Path
	ctx := r.Context()
	event("connected %s protocol=%s extensions=%s", path, c.Subprotocol(), r.Header.Get("Sec-WebSocket-Extensions"))
	const pings = 3
	pongc := make(chan bool, pings)
	go func() {
		for i := 0; i < pings; i++ {
			pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			pongc <- c.Ping(pctx) == nil
			cancel()
		}
	}()
	code := -1
	for {
		t, data, err := c.Read(ctx)
		if err != nil {
			code = int(nhooyr.CloseStatus(err))
			if code == -1 {
				event("read-error %s %v", path, err)
			}
			break
		}
		recordMessage(path, t == nhooyr.MessageBinary, data)
		if err := c.Write(ctx, t, data); err != nil {
			event("write-error %s %v", path, err)
			break
		}
	}
	pongs := 0
	for i := 0; i < pings; i++ {
		select {
		case ok := <-pongc:
			if ok {
				pongs++
			}
		case <-time.After(10 * time.Second):
		}
	}
	event("closed %s code=%d pongs=%d/%d", path, code, pongs, pings)
}

func serve(lib, port string) {
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	handler := gorillaHandler
	if lib == "nhooyr" {
		handler = nhooyrHandler
	}
	event("listening on %s", ln.Addr())
	err = http.Serve(ln, http.HandlerFunc(handler))
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

// ------------------------------------------------------------ main

func main() {
	args := os.Args[1:]
	usage := func() {
		fmt.Fprintln(os.Stderr, "usage: go_peer echo gorilla|nhooyr URL SEED DEADLINE_MS | chat URL DEADLINE_MS | "+
			"server gorilla|nhooyr PORT")
		os.Exit(2)
	}
	if len(args) < 1 {
		usage()
	}
	deadline := func(arg string) {
		ms, err := strconv.Atoi(arg)
		if err != nil {
			usage()
		}
		// A hang in a library or in our server fails here, with the checks
		// so far printed, rather than at ctest's timeout.
		time.AfterFunc(time.Duration(ms)*time.Millisecond, func() {
			check(false, fmt.Sprintf("%s: finished within %d ms", args[0], ms))
			finish()
		})
	}
	switch {
	case args[0] == "echo" && len(args) == 5 && (args[1] == "gorilla" || args[1] == "nhooyr"):
		seed, err := strconv.ParseInt(args[3], 10, 64)
		if err != nil {
			usage()
		}
		deadline(args[4])
		echo(args[1], args[2], seed)
	case args[0] == "chat" && len(args) == 3:
		deadline(args[2])
		chat(args[1])
	case args[0] == "server" && len(args) == 3 && (args[1] == "gorilla" || args[1] == "nhooyr"):
		serve(args[1], args[2])
	default:
		usage()
	}
	finish()
}
