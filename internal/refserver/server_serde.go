package refserver

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A PlexMCP server reads JSON with serde_json (behind axum's Json extractor
// on the management API, directly on the proxy). Its rejections are plain
// text that quotes serde_json's message and position, so this file reads
// JSON the same way and words its errors the same way: the kind of error,
// "at line L column C", and (behind axum) the path of the field. The texts
// follow serde_json for the common cases and are best effort beyond them;
// clients must not parse them.

// sjKind is a JSON value's kind.
type sjKind int

const (
	sjNull sjKind = iota
	sjBool
	sjNumber
	sjString
	sjArray
	sjObject
)

// sjValue is a parsed JSON value with where it starts and ends in the
// input, which serde_json's positions are computed from. The parser builds
// values as it reads, so that after a syntax error the part before it can
// still be checked: serde reports errors in the order it reads.
type sjValue struct {
	kind       sjKind
	start, end int // byte offsets: the first byte and just past the last
	complete   bool
	b          bool
	num        string // as written
	str        string
	badUTF8    bool // a string that is not valid UTF-8 once unescaped
	arr        []*sjValue
	obj        []*sjMember // in order, duplicates kept
}

type sjMember struct {
	key   string
	colon int      // where the colon after the key is (or what stands there)
	val   *sjValue // nil until its value starts
}

// sjError is serde_json's error: a message, where it happened (offset -1:
// nowhere) and, behind axum, the path of the field.
type sjError struct {
	msg    string
	offset int
	path   string
	syntax bool // a syntax error or the end of input, rather than a data error
}

// text renders the error as serde_path_to_error and serde_json do.
func (e *sjError) text(input []byte) string {
	var b strings.Builder
	if e.path != "" {
		b.WriteString(e.path + ": ")
	}
	b.WriteString(e.msg)
	if e.offset >= 0 {
		line, col := sjPosition(input, e.offset)
		fmt.Fprintf(&b, " at line %d column %d", line, col)
	}
	return b.String()
}

// sjPosition is serde_json's position of an offset: the line, and the
// number of bytes of that line before the offset.
func sjPosition(input []byte, offset int) (line, column int) {
	offset = min(offset, len(input))
	startOfLine := strings.LastIndexByte(string(input[:offset]), '\n') + 1
	return 1 + strings.Count(string(input[:startOfLine]), "\n"), offset - startOfLine
}

// sjRecursionLimit is serde_json's nesting limit.
const sjRecursionLimit = 128

type sjParser struct {
	in    []byte
	i     int
	depth int
}

// sjParse parses one JSON value. With trailing false, what follows the
// value is ignored (axum's Json); with true, anything but white space is an
// error (serde_json::from_str). On a syntax error it also returns what was
// built up to it (nil if no value started).
func sjParse(in []byte, trailing bool) (*sjValue, *sjError) {
	p := &sjParser{in: in}
	v, err := p.value()
	if err == nil && trailing {
		p.ws()
		if p.i < len(p.in) {
			err = p.peekErr("trailing characters")
		}
	}
	return v, err
}

func (p *sjParser) ws() {
	for p.i < len(p.in) && strings.IndexByte(" \n\t\r", p.in[p.i]) >= 0 {
		p.i++
	}
}

// err is at the position just past what was read; peekErr at the byte
// being looked at, as serde_json's error and peek_error.
func (p *sjParser) err(msg string) *sjError { return &sjError{msg: msg, offset: p.i, syntax: true} }

func (p *sjParser) peekErr(msg string) *sjError {
	return &sjError{msg: msg, offset: min(p.i+1, len(p.in)), syntax: true}
}

func (p *sjParser) value() (*sjValue, *sjError) {
	p.ws()
	if p.i >= len(p.in) {
		return nil, p.peekErr("EOF while parsing a value")
	}
	v := &sjValue{start: p.i}
	var err *sjError
	switch c := p.in[p.i]; {
	case c == 'n':
		err = p.ident("null")
	case c == 't' || c == 'f':
		v.kind, v.b = sjBool, c == 't'
		word := "false"
		if v.b {
			word = "true"
		}
		err = p.ident(word)
	case c == '-' || isDigit(c):
		v.kind = sjNumber
		err = p.number()
		v.num = string(p.in[v.start:p.i])
	case c == '"':
		v.kind = sjString
		v.str, v.badUTF8, err = p.str()
	case c == '[' || c == '{':
		if p.depth++; p.depth >= sjRecursionLimit {
			return v, p.peekErr("recursion limit exceeded")
		}
		if c == '[' {
			v.kind = sjArray
			err = p.array(v)
		} else {
			v.kind = sjObject
			err = p.object(v)
		}
		p.depth--
	default:
		return nil, p.peekErr("expected value")
	}
	if err != nil {
		return v, err
	}
	v.end, v.complete = p.i, true
	return v, nil
}

func (p *sjParser) ident(word string) *sjError {
	p.i++ // the first letter, already seen
	for _, want := range []byte(word[1:]) {
		if p.i >= len(p.in) {
			return p.err("EOF while parsing a value")
		}
		c := p.in[p.i]
		p.i++
		if c != want {
			return p.err("expected ident")
		}
	}
	return nil
}

func (p *sjParser) digits() {
	for p.i < len(p.in) && isDigit(p.in[p.i]) {
		p.i++
	}
}

func (p *sjParser) number() *sjError {
	start := p.i
	if p.in[p.i] == '-' {
		p.i++
	}
	if p.i >= len(p.in) {
		return p.err("EOF while parsing a value")
	}
	c := p.in[p.i]
	p.i++
	switch {
	case c == '0':
		if p.i < len(p.in) && isDigit(p.in[p.i]) {
			return p.peekErr("invalid number")
		}
	case isDigit(c):
		p.digits()
	default:
		return p.err("invalid number")
	}
	if p.i < len(p.in) && p.in[p.i] == '.' {
		p.i++
		switch {
		case p.i >= len(p.in):
			return p.peekErr("EOF while parsing a value")
		case !isDigit(p.in[p.i]):
			return p.peekErr("invalid number")
		}
		p.digits()
	}
	if p.i < len(p.in) && (p.in[p.i] == 'e' || p.in[p.i] == 'E') {
		p.i++
		if p.i < len(p.in) && (p.in[p.i] == '+' || p.in[p.i] == '-') {
			p.i++
		}
		if p.i >= len(p.in) {
			return p.err("EOF while parsing a value")
		}
		c := p.in[p.i]
		p.i++
		if !isDigit(c) {
			return p.err("invalid number")
		}
		p.digits()
	}
	if n := sjClassify(string(p.in[start:p.i])); !n.isInt && math.IsInf(n.f, 0) {
		return p.err("number out of range")
	}
	return nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// str reads a string from its opening quote, unescaping it. serde_json
// checks UTF-8 only where a string is read as one, so invalid UTF-8 is a
// flag here, not an error.
func (p *sjParser) str() (s string, badUTF8 bool, err *sjError) {
	p.i++ // the opening quote
	var b strings.Builder
	for {
		if p.i >= len(p.in) {
			return "", false, p.err("EOF while parsing a string")
		}
		c := p.in[p.i]
		p.i++
		switch {
		case c == '"':
			s := b.String()
			return s, !utf8.ValidString(s), nil
		case c < 0x20:
			return "", false, p.err(`control character (\u0000-\u001F) found while parsing a string`)
		case c != '\\':
			b.WriteByte(c)
			continue
		}
		if p.i >= len(p.in) {
			return "", false, p.err("EOF while parsing a string")
		}
		e := p.in[p.i]
		p.i++
		if i := strings.IndexByte(`"\/bfnrt`, e); i >= 0 {
			b.WriteByte("\"\\/\b\f\n\r\t"[i])
			continue
		}
		if e != 'u' {
			return "", false, p.err("invalid escape")
		}
		r, err := p.hexEscape()
		if err != nil {
			return "", false, err
		}
		switch {
		case 0xD800 <= r && r < 0xDC00: // a leading surrogate needs its trailing half
			if p.i+1 >= len(p.in) || p.in[p.i] != '\\' || p.in[p.i+1] != 'u' {
				return "", false, p.err("lone leading surrogate in hex escape")
			}
			p.i += 2
			low, err := p.hexEscape()
			if err != nil {
				return "", false, err
			}
			if low < 0xDC00 || low > 0xDFFF {
				return "", false, p.err("lone leading surrogate in hex escape")
			}
			r = 0x10000 + (r-0xD800)<<10 + (low - 0xDC00)
		case 0xDC00 <= r && r <= 0xDFFF:
			return "", false, p.err("lone leading surrogate in hex escape")
		}
		b.WriteRune(r)
	}
}

func (p *sjParser) hexEscape() (rune, *sjError) {
	var r rune
	for range 4 {
		if p.i >= len(p.in) {
			return 0, p.err("EOF while parsing a string")
		}
		c := p.in[p.i]
		p.i++
		d := strings.IndexByte("0123456789abcdef", c|0x20)
		if d < 0 || c >= 0x80 {
			return 0, p.err("invalid escape")
		}
		r = r<<4 | rune(d)
	}
	return r, nil
}

func (p *sjParser) array(v *sjValue) *sjError {
	p.i++ // [
	p.ws()
	if p.i < len(p.in) && p.in[p.i] == ']' {
		p.i++
		return nil
	}
	for {
		e, err := p.value()
		if e != nil {
			v.arr = append(v.arr, e)
		}
		if err != nil {
			return err
		}
		p.ws()
		if p.i >= len(p.in) {
			return p.peekErr("EOF while parsing a list")
		}
		switch p.in[p.i] {
		case ']':
			p.i++
			return nil
		case ',':
			p.i++
			p.ws()
			if p.i < len(p.in) && p.in[p.i] == ']' {
				return p.peekErr("trailing comma")
			}
		default:
			return p.peekErr("expected `,` or `]`")
		}
	}
}

func (p *sjParser) object(v *sjValue) *sjError {
	p.i++ // {
	p.ws()
	if p.i < len(p.in) && p.in[p.i] == '}' {
		p.i++
		return nil
	}
	for {
		p.ws()
		if p.i >= len(p.in) {
			return p.peekErr("EOF while parsing an object")
		}
		if p.in[p.i] != '"' {
			return p.peekErr("key must be a string")
		}
		key, _, err := p.str()
		if err != nil {
			return err
		}
		p.ws()
		m := &sjMember{key: key, colon: p.i}
		v.obj = append(v.obj, m)
		if p.i >= len(p.in) {
			return p.peekErr("EOF while parsing an object")
		}
		if p.in[p.i] != ':' {
			return p.peekErr("expected `:`")
		}
		p.i++
		val, verr := p.value()
		if val == nil {
			val = &sjValue{start: p.i} // the value never started, but it was the member's turn
		}
		m.val = val
		if verr != nil {
			return verr
		}
		p.ws()
		if p.i >= len(p.in) {
			return p.peekErr("EOF while parsing an object")
		}
		switch p.in[p.i] {
		case '}':
			p.i++
			return nil
		case ',':
			p.i++
			p.ws()
			if p.i < len(p.in) && p.in[p.i] == '}' {
				return p.peekErr("trailing comma")
			}
		default:
			return p.peekErr("expected `,` or `}`")
		}
	}
}

// sjNum is a number as serde_json reads it: an integer that fits u64 (when
// not negative) or i64 (when negative), else a float.
type sjNum struct {
	isInt bool
	neg   bool
	u     uint64 // the integer when not negative
	i     int64  // the integer when negative
	f     float64
}

func sjClassify(num string) sjNum {
	if !strings.ContainsAny(num, ".eE") {
		if strings.HasPrefix(num, "-") {
			if i, err := strconv.ParseInt(num, 10, 64); err == nil {
				return sjNum{isInt: true, neg: true, i: i}
			}
		} else if u, err := strconv.ParseUint(num, 10, 64); err == nil {
			return sjNum{isInt: true, u: u}
		}
	}
	f, _ := strconv.ParseFloat(num, 64)
	return sjNum{f: f}
}

// int64 reports the integer if it fits i64.
func (n sjNum) int64() (int64, bool) {
	switch {
	case !n.isInt:
		return 0, false
	case n.neg:
		return n.i, true
	case n.u <= math.MaxInt64:
		return int64(n.u), true
	}
	return 0, false
}

func (n sjNum) String() string {
	switch {
	case n.isInt && n.neg:
		return strconv.FormatInt(n.i, 10)
	case n.isInt:
		return strconv.FormatUint(n.u, 10)
	}
	s := strconv.FormatFloat(n.f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0" // serde writes floats with a decimal point
	}
	return s
}

// sjUnexpected is what serde calls a value in "invalid type" messages.
func sjUnexpected(v *sjValue) string {
	switch v.kind {
	case sjNull:
		return "null"
	case sjBool:
		return fmt.Sprintf("boolean `%t`", v.b)
	case sjNumber:
		if n := sjClassify(v.num); n.isInt {
			return "integer `" + n.String() + "`"
		}
		return "floating point `" + sjClassify(v.num).String() + "`"
	case sjString:
		return "string " + rustDebugString(v.str)
	case sjArray:
		return "sequence"
	}
	return "map"
}

// rustDebugString quotes s as Rust's {:?} does.
func rustDebugString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case 0:
			b.WriteString(`\0`)
		default:
			if unicode.IsPrint(r) {
				b.WriteRune(r)
			} else {
				fmt.Fprintf(&b, `\u{%x}`, r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// The Rust types of the request fields a PlexMCP server's handlers declare.
type sjType int

const (
	sjTString       sjType = iota // String
	sjTOptString                  // Option<String>
	sjTOptI32                     // Option<i32>
	sjTVecString                  // Vec<String>
	sjTOptVecString               // Option<Vec<String>>
	sjTOptUUIDs                   // Option<Vec<Uuid>>
	sjTOptValue                   // Option<serde_json::Value>
	sjTRPCID                      // Option<JsonRpcId>: a string, an i64 or null
)

type sjField struct {
	name string
	typ  sjType
	// optional: absent is not an error (an Option, or #[serde(default)]).
	optional bool
}

// sjStruct is a request struct: its Rust name and fields in declaration
// order.
type sjStruct struct {
	name   string
	fields []sjField
}

func (st sjStruct) field(name string) (sjField, bool) {
	for _, f := range st.fields {
		if f.name == name {
			return f, true
		}
	}
	return sjField{}, false
}

// sjDecoded holds the fields a body set: string, int32, []string (UUIDs
// lowercased and hyphenated) or *sjValue. A field is absent from the map,
// or present with nil for an explicit null of an Option.
type sjDecoded map[string]any

func (d sjDecoded) str(name string) (string, bool) { s, ok := d[name].(string); return s, ok }

// sjDecode reads body as st the way serde does behind axum (withPath) or
// directly (without): syntax first, in the order serde reads, then a
// duplicate field, each known field's value, and the first missing field.
// Unknown fields are ignored; trailing data is an error only with trailing.
func sjDecode(body []byte, st sjStruct, withPath, trailing bool) (sjDecoded, *sjError) {
	v, perr := sjParse(body, trailing)
	if v == nil {
		return nil, perr
	}
	d, derr := sjCheckStruct(v, st, perr != nil)
	switch {
	case derr != nil:
		if !withPath {
			derr.path = ""
		}
		return nil, derr
	case perr != nil:
		if withPath {
			perr.path = sjSyntaxPath(v, st)
		}
		return nil, perr
	}
	return d, nil
}

// sjSyntaxPath is the path serde_path_to_error gives a syntax error: the
// member being read when it happened, with the index of an element of a
// known array field; nothing if it happened between members.
func sjSyntaxPath(v *sjValue, st sjStruct) string {
	if v.kind != sjObject || len(v.obj) == 0 {
		return ""
	}
	m := v.obj[len(v.obj)-1]
	if m.val == nil || m.val.complete {
		return ""
	}
	if f, known := st.field(m.key); known && (f.typ == sjTVecString || f.typ == sjTOptVecString || f.typ == sjTOptUUIDs) && m.val.kind == sjArray {
		if n := len(m.val.arr); n > 0 && !m.val.arr[n-1].complete {
			return fmt.Sprintf("%s[%d]", m.key, n-1)
		}
	}
	return m.key
}

// sjCheckStruct checks an object against st in document order. With
// partial, the object ended in a syntax error: only what was read before it
// is checked, and nothing can be missing yet.
func sjCheckStruct(v *sjValue, st sjStruct, partial bool) (sjDecoded, *sjError) {
	if v.kind != sjObject {
		if !v.complete && v.kind != sjArray {
			return nil, nil // a scalar cut short: its syntax error stands
		}
		// serde would read a JSON array as the struct's fields by
		// position; the emulation refuses it (README.md says so).
		return nil, sjTypeError(v, "struct "+st.name)
	}
	out := sjDecoded{}
	seen := map[string]bool{}
	for _, m := range v.obj {
		f, known := st.field(m.key)
		if !known {
			continue
		}
		if seen[m.key] {
			return nil, &sjError{msg: fmt.Sprintf("duplicate field `%s`", m.key), offset: m.colon}
		}
		seen[m.key] = true
		if m.val == nil {
			break // cut short before its value
		}
		val, err := sjReadField(m.val, f.typ)
		if err != nil {
			err.path = m.key + err.path
			return nil, err
		}
		out[m.key] = val
	}
	if partial {
		return nil, nil
	}
	for _, f := range st.fields {
		if !seen[f.name] && !f.optional {
			return nil, &sjError{msg: fmt.Sprintf("missing field `%s`", f.name), offset: v.end}
		}
	}
	return out, nil
}

// sjTypeError is an invalid type, reported where serde_json stands: past a
// scalar, or at the bracket of an array or object it never entered.
func sjTypeError(v *sjValue, expected string) *sjError {
	offset := v.end
	if v.kind == sjArray || v.kind == sjObject {
		offset = v.start
	}
	return &sjError{msg: fmt.Sprintf("invalid type: %s, expected %s", sjUnexpected(v), expected), offset: offset}
}

// sjReadField reads one field's value as its type. A value cut short by a
// syntax error gives neither value nor error, unless serde would have
// refused it at its first byte.
func sjReadField(v *sjValue, t sjType) (any, *sjError) {
	if !v.complete {
		switch {
		case v.kind == sjArray && (t == sjTVecString || t == sjTOptVecString || t == sjTOptUUIDs):
			_, err := sjReadArray(v, t)
			return nil, err
		case v.kind == sjArray || v.kind == sjObject:
			if t == sjTOptValue {
				return nil, nil
			}
			return nil, sjTypeError(v, sjExpected(t))
		}
		return nil, nil
	}
	if v.kind == sjNull {
		switch t {
		case sjTOptString, sjTOptI32, sjTOptVecString, sjTOptUUIDs, sjTOptValue, sjTRPCID:
			return nil, nil
		}
	}
	if v.kind == sjString && v.badUTF8 && t != sjTRPCID {
		return nil, &sjError{msg: "invalid unicode code point", offset: v.end, syntax: true}
	}
	switch t {
	case sjTString, sjTOptString:
		if v.kind != sjString {
			return nil, sjTypeError(v, sjExpected(t))
		}
		return v.str, nil
	case sjTOptI32:
		if v.kind != sjNumber {
			return nil, sjTypeError(v, sjExpected(t))
		}
		n := sjClassify(v.num)
		if !n.isInt {
			return nil, sjTypeError(v, sjExpected(t))
		}
		i, ok := n.int64()
		if !ok || i < math.MinInt32 || i > math.MaxInt32 {
			return nil, &sjError{msg: fmt.Sprintf("invalid value: integer `%s`, expected i32", n), offset: v.end}
		}
		return int32(i), nil
	case sjTVecString, sjTOptVecString, sjTOptUUIDs:
		if v.kind != sjArray {
			return nil, sjTypeError(v, sjExpected(t))
		}
		return sjReadArray(v, t)
	case sjTRPCID:
		if v.kind == sjString && !v.badUTF8 {
			return v.str, nil
		}
		if n, ok := sjClassify(v.num).int64(); v.kind == sjNumber && ok {
			return n, nil
		}
		return nil, &sjError{msg: "data did not match any variant of untagged enum JsonRpcId", offset: v.end}
	}
	if err := sjCheckUTF8(v); err != nil { // a serde_json::Value reads every string
		return nil, err
	}
	return v, nil
}

func sjExpected(t sjType) string {
	switch t {
	case sjTOptI32:
		return "i32"
	case sjTVecString, sjTOptVecString, sjTOptUUIDs:
		return "a sequence"
	}
	return "a string"
}

// sjReadArray reads the elements of a string or UUID array, as far as they
// go.
func sjReadArray(v *sjValue, t sjType) ([]string, *sjError) {
	out := []string{}
	for i, e := range v.arr {
		if !e.complete {
			break
		}
		var err *sjError
		switch {
		case e.kind == sjString && e.badUTF8:
			err = &sjError{msg: "invalid unicode code point", offset: e.end, syntax: true}
		case t != sjTOptUUIDs && e.kind == sjString:
			out = append(out, e.str)
			continue
		case t != sjTOptUUIDs:
			err = sjTypeError(e, "a string")
		case e.kind != sjString:
			err = sjTypeError(e, "a UUID string")
		default:
			id, msg := parseUUID(e.str)
			if msg == "" {
				out = append(out, id)
				continue
			}
			err = &sjError{msg: "UUID parsing failed: " + msg, offset: e.end}
		}
		err.path = fmt.Sprintf("[%d]", i)
		return nil, err
	}
	return out, nil
}

// sjCheckUTF8 finds the first string of a value that is not valid UTF-8.
func sjCheckUTF8(v *sjValue) *sjError {
	switch {
	case v.kind == sjString && v.badUTF8:
		return &sjError{msg: "invalid unicode code point", offset: v.end, syntax: true}
	case v.kind == sjArray:
		for _, e := range v.arr {
			if err := sjCheckUTF8(e); err != nil {
				return err
			}
		}
	case v.kind == sjObject:
		for _, m := range v.obj {
			if m.val != nil {
				if err := sjCheckUTF8(m.val); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// sjToGo turns a parsed value into what encoding/json decodes with
// UseNumber: nil, bool, json.Number, string, []any and map[string]any (the
// last of duplicate keys wins, as in serde_json's Value).
func sjToGo(v *sjValue) any {
	switch v.kind {
	case sjBool:
		return v.b
	case sjNumber:
		return json.Number(v.num)
	case sjString:
		return v.str
	case sjArray:
		out := make([]any, 0, len(v.arr))
		for _, e := range v.arr {
			out = append(out, sjToGo(e))
		}
		return out
	case sjObject:
		out := make(map[string]any, len(v.obj))
		for _, m := range v.obj {
			out[m.key] = sjToGo(m.val)
		}
		return out
	}
	return nil
}
