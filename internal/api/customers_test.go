package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/kizukai/kizukai/internal/app/apptest"
)

// customerBody is the subset of the customer object the tests read.
type customerBody struct {
	ID         string   `json:"id"`
	ExternalID string   `json:"external_id"`
	Name       string   `json:"name"`
	Email      string   `json:"email"`
	Phone      string   `json:"phone"`
	Locale     string   `json:"locale"`
	Tags       []string `json:"tags"`
	Consents   map[string]struct {
		Granted bool   `json:"granted"`
		Source  string `json:"source"`
	} `json:"consents"`
	Freshness *struct {
		Band string `json:"band"`
	} `json:"freshness"`
}

func createCustomer(t *testing.T, e *apptest.Env, body map[string]any) customerBody {
	t.Helper()
	res := e.Do("POST", "/api/v1/customers", body)
	if res.Status != http.StatusCreated {
		t.Fatalf("create customer: %d %s", res.Status, res.Body)
	}
	var c customerBody
	res.JSON(t, &c)
	return c
}

// wantError checks status, and that the error names field when field is set.
func wantError(t *testing.T, what string, res apptest.Response, status int, field string) {
	t.Helper()
	if res.Status != status {
		t.Errorf("%s: status %d, want %d: %s", what, res.Status, status, res.Body)
		return
	}
	if field == "" {
		return
	}
	var b struct {
		Error struct {
			Fields map[string]string `json:"fields"`
		} `json:"error"`
	}
	res.JSON(t, &b)
	if _, ok := b.Error.Fields[field]; !ok {
		t.Errorf("%s: error does not name %s: %s", what, field, res.Body)
	}
}

// snapshot returns the stored customer as raw JSON, to prove a rejected
// request changed nothing.
func snapshot(t *testing.T, e *apptest.Env, id string) string {
	t.Helper()
	e.Settle() // background journey work must not look like a change
	res := e.Do("GET", "/api/v1/customers/"+id, nil)
	if res.Status != http.StatusOK {
		t.Fatalf("get %s: %d %s", id, res.Status, res.Body)
	}
	return string(res.Body)
}

func TestCustomerUpsertAPI(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		c := createCustomer(t, e, map[string]any{"external_id": "c1", "name": "山田 花子", "phone": "090-1234-5678",
			"email": "Hanako@Example.JP", "tags": []string{"vip"}, "attributes": map[string]any{"rank": 3},
			"consents": map[string]any{"email": map[string]any{"granted": true, "source": "pos_form", "text": "お知らせ"}}})
		if c.Phone != "+819012345678" || c.Email != "Hanako@example.jp" || c.Locale != "ja" || !c.Consents["email"].Granted {
			t.Fatalf("created: %+v", c)
		}
		if c.Freshness != nil {
			t.Errorf("freshness without orders: %+v", c.Freshness)
		}
		res := e.Do("POST", "/api/v1/customers", map[string]any{"external_id": "c1", "name": "山田 花子2"})
		if res.Status != http.StatusOK {
			t.Fatalf("update: %d %s", res.Status, res.Body)
		}
		var u customerBody
		res.JSON(t, &u)
		if u.ID != c.ID || u.Name != "山田 花子2" || u.Phone != c.Phone || len(u.Tags) != 1 {
			t.Fatalf("updated: %+v", u)
		}
		before := snapshot(t, e, c.ID)
		for _, tc := range []struct {
			name   string
			body   any
			status int
			field  string
		}{
			{"malformed JSON", `{"external_id": "c1", "name": `, 400, ""},
			{"two JSON values", `{"external_id": "c1"} {}`, 400, ""},
			{"unknown field", map[string]any{"external_id": "c1", "nickname": "x"}, 400, "nickname"},
			{"wrong type", map[string]any{"external_id": "c1", "tags": "vip"}, 400, "tags"},
			{"invalid phone", map[string]any{"external_id": "c1", "name": "x", "phone": "12-34"}, 422, "phone"},
			{"invalid email", map[string]any{"external_id": "c1", "name": "x", "email": "Hanako <h@example.jp>"}, 422, "email"},
			{"missing external_id", map[string]any{"name": "x"}, 422, "external_id"},
			{"long external_id", map[string]any{"external_id": strings.Repeat("x", 101)}, 422, "external_id"},
			{"bad locale", map[string]any{"external_id": "c1", "name": "x", "locale": "fr"}, 422, "locale"},
			{"bad consent", map[string]any{"external_id": "c1", "name": "x", "consents": map[string]any{"email": map[string]any{"granted": false}}}, 422, "consents.email.source"},
			{"over 1 MiB", map[string]any{"external_id": "c1", "name": strings.Repeat("x", 1<<20)}, 413, ""},
		} {
			wantError(t, tc.name, e.Do("POST", "/api/v1/customers", tc.body), tc.status, tc.field)
			if after := snapshot(t, e, c.ID); after != before {
				t.Errorf("%s changed the customer:\n%s\n%s", tc.name, before, after)
			}
		}
		if res := e.DoKey("", "POST", "/api/v1/customers", map[string]any{"external_id": "c9"}); res.Status != http.StatusUnauthorized {
			t.Errorf("no key: %d", res.Status)
		}
	})
}

func TestCustomerPatchAndConsentAPI(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		c := createCustomer(t, e, map[string]any{"external_id": "c1", "name": "A", "tags": []string{"x"}})
		res := e.Do("PATCH", "/api/v1/customers/"+c.ID, map[string]any{"phone": "03-1234-5678"})
		var u customerBody
		res.JSON(t, &u)
		if res.Status != http.StatusOK || u.Phone != "+81312345678" || u.Name != "A" || len(u.Tags) != 1 {
			t.Fatalf("patch: %d %s", res.Status, res.Body)
		}
		before := snapshot(t, e, c.ID)
		for _, tc := range []struct {
			name   string
			body   any
			status int
			field  string
		}{
			{"external_id change", map[string]any{"external_id": "c2", "name": "B"}, 422, "external_id"},
			{"invalid phone", map[string]any{"name": "B", "phone": "abc"}, 422, "phone"},
			{"invalid email", map[string]any{"name": "B", "email": "b@"}, 422, "email"},
			{"unknown field", map[string]any{"id": "cus_x"}, 400, "id"},
			{"malformed", `{`, 400, ""},
			{"over 1 MiB", map[string]any{"name": strings.Repeat("x", 1<<20)}, 413, ""},
		} {
			wantError(t, "PATCH "+tc.name, e.Do("PATCH", "/api/v1/customers/"+c.ID, tc.body), tc.status, tc.field)
			if after := snapshot(t, e, c.ID); after != before {
				t.Errorf("PATCH %s changed the customer", tc.name)
			}
		}
		wantError(t, "PATCH unknown", e.Do("PATCH", "/api/v1/customers/cus_nope", map[string]any{"name": "B"}), 404, "")

		res = e.Do("PUT", "/api/v1/customers/"+c.ID+"/consents/line", map[string]any{"granted": true, "source": "line_follow", "text": "友だち追加"})
		res.JSON(t, &u)
		if res.Status != http.StatusOK || !u.Consents["line"].Granted || u.Consents["line"].Source != "line_follow" {
			t.Fatalf("consent: %d %s", res.Status, res.Body)
		}
		before = snapshot(t, e, c.ID)
		for _, tc := range []struct {
			name, channel string
			body          any
			status        int
			field         string
		}{
			{"unknown channel", "fax", map[string]any{"granted": true, "source": "x"}, 422, "channel"},
			{"no source", "sms", map[string]any{"granted": true}, 422, "source"},
			{"no granted", "sms", map[string]any{"source": "x"}, 422, "granted"},
			{"long source", "sms", map[string]any{"granted": true, "source": strings.Repeat("s", 101)}, 422, "source"},
			{"unknown field", "sms", map[string]any{"granted": true, "source": "x", "at": "now"}, 400, "at"},
			{"malformed", "sms", `{"granted": tru`, 400, ""},
		} {
			wantError(t, "consent "+tc.name, e.Do("PUT", "/api/v1/customers/"+c.ID+"/consents/"+tc.channel, tc.body), tc.status, tc.field)
			if after := snapshot(t, e, c.ID); after != before {
				t.Errorf("consent %s changed the customer", tc.name)
			}
		}
		res = e.Do("GET", "/api/v1/customers/"+c.ID+"/timeline?limit=1", nil)
		var tl struct {
			Items []struct {
				ID, Type string
				Data     map[string]any
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		res.JSON(t, &tl)
		if res.Status != http.StatusOK || len(tl.Items) != 1 || tl.Items[0].Type != "consent.changed" || tl.Items[0].Data["channel"] != "line" || tl.NextCursor != "" {
			t.Fatalf("timeline: %d %s", res.Status, res.Body)
		}
		wantError(t, "timeline bad cursor", e.Do("GET", "/api/v1/customers/"+c.ID+"/timeline?cursor=nope", nil), 400, "cursor")
	})
}

func TestCustomerOtherShopAPI(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		c := createCustomer(t, e, map[string]any{"external_id": "c1", "name": "A"})
		before := snapshot(t, e, c.ID)
		_, key := e.OtherShop("other-shop")
		p := "/api/v1/customers/" + c.ID
		for _, tc := range []struct {
			method, path string
			body         any
		}{
			{"GET", p, nil},
			{"PATCH", p, map[string]any{"name": "stolen"}},
			{"DELETE", p, nil},
			{"GET", p + "/export", nil},
			{"GET", p + "/timeline", nil},
			{"PUT", p + "/consents/email", map[string]any{"granted": false, "source": "x"}},
		} {
			res := e.DoKey(key, tc.method, tc.path, tc.body)
			if res.Status != http.StatusNotFound || res.ErrorCode() != "customer_not_found" {
				t.Errorf("%s %s from another shop: %d %s", tc.method, tc.path, res.Status, res.Body)
			}
		}
		res := e.DoKey(key, "GET", "/api/v1/customers", nil)
		if res.Status != http.StatusOK || strings.Contains(string(res.Body), c.ID) {
			t.Errorf("other shop's list: %s", res.Body)
		}
		// Its own upsert of the same external_id makes its own customer.
		res = e.DoKey(key, "POST", "/api/v1/customers", map[string]any{"external_id": "c1", "name": "theirs"})
		if res.Status != http.StatusCreated {
			t.Errorf("other shop's upsert: %d %s", res.Status, res.Body)
		}
		if after := snapshot(t, e, c.ID); after != before {
			t.Errorf("another shop changed the customer:\n%s\n%s", before, after)
		}
	})
}

func TestCustomerListAPI(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		for i, name := range []string{"Taro", "Hanako", "Jiro", "Saburo", "Shiro"} {
			tags := []string{"all"}
			if i%2 == 0 {
				tags = append(tags, "even")
			}
			createCustomer(t, e, map[string]any{"external_id": "c" + string(rune('1'+i)), "name": name, "tags": tags})
		}
		type page struct {
			Items      []customerBody `json:"items"`
			NextCursor string         `json:"next_cursor"`
		}
		get := func(q string) page {
			t.Helper()
			res := e.Do("GET", "/api/v1/customers"+q, nil)
			if res.Status != http.StatusOK {
				t.Fatalf("list %s: %d %s", q, res.Status, res.Body)
			}
			var p page
			res.JSON(t, &p)
			return p
		}
		var names []string
		q := "?limit=2"
		for range 5 {
			p := get(q)
			for _, c := range p.Items {
				names = append(names, c.Name)
			}
			if p.NextCursor == "" {
				break
			}
			q = "?limit=2&cursor=" + p.NextCursor
		}
		if strings.Join(names, ",") != "Taro,Hanako,Jiro,Saburo,Shiro" {
			t.Errorf("pages: %v", names)
		}
		if p := get("?q=HANA"); len(p.Items) != 1 || p.Items[0].Name != "Hanako" {
			t.Errorf("q: %+v", p.Items)
		}
		if p := get("?tag=even"); len(p.Items) != 3 {
			t.Errorf("tag: %+v", p.Items)
		}
		if p := get("?external_id=c4"); len(p.Items) != 1 || p.Items[0].Name != "Saburo" {
			t.Errorf("external_id: %+v", p.Items)
		}
		if p := get("?band=fresh"); len(p.Items) != 0 {
			t.Errorf("band without orders: %+v", p.Items)
		}
		if p := get("?q=nobody"); p.Items == nil {
			t.Error("empty list is not []")
		}
		wantError(t, "bad band", e.Do("GET", "/api/v1/customers?band=warm", nil), 422, "band")
		wantError(t, "bad cursor", e.Do("GET", "/api/v1/customers?cursor=not-a-cursor!", nil), 400, "")
		wantError(t, "bad limit", e.Do("GET", "/api/v1/customers?limit=1000", nil), 400, "limit")
		wantError(t, "long q", e.Do("GET", "/api/v1/customers?q="+strings.Repeat("x", 201), nil), 422, "q")
	})
}

func TestCustomerEraseAndExportAPI(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		c := createCustomer(t, e, map[string]any{"external_id": "c1", "name": "消える人", "email": "gone@example.jp",
			"consents": map[string]any{"sms": map[string]any{"granted": true, "source": "pos"}}})
		res := e.Do("GET", "/api/v1/customers/"+c.ID+"/export", nil)
		var x struct {
			Customer       customerBody      `json:"customer"`
			ConsentHistory []json.RawMessage `json:"consent_history"`
			Orders         []json.RawMessage `json:"orders"`
			Events         []json.RawMessage `json:"events"`
		}
		res.JSON(t, &x)
		if res.Status != http.StatusOK || x.Customer.Name != "消える人" || len(x.ConsentHistory) != 1 || x.Orders == nil || len(x.Events) != 1 {
			t.Fatalf("export: %d %s", res.Status, res.Body)
		}
		res = e.Do("DELETE", "/api/v1/customers/"+c.ID, nil)
		if res.Status != http.StatusNoContent || len(res.Body) != 0 {
			t.Fatalf("delete: %d %s", res.Status, res.Body)
		}
		for _, p := range []string{"", "/export", "/timeline"} {
			wantError(t, "after erase GET"+p, e.Do("GET", "/api/v1/customers/"+c.ID+p, nil), 404, "")
		}
		wantError(t, "second DELETE", e.Do("DELETE", "/api/v1/customers/"+c.ID, nil), 404, "")
		if res := e.Do("GET", "/api/v1/customers", nil); strings.Contains(string(res.Body), c.ID) {
			t.Errorf("erased customer listed: %s", res.Body)
		}
		if res := e.Do("GET", "/api/v1/customers/export.csv", nil); strings.Contains(string(res.Body), "gone@example.jp") {
			t.Errorf("erased customer exported: %s", res.Body)
		}
	})
}

// doCSV posts a CSV body.
func doCSV(t *testing.T, e *apptest.Env, contentType string, body []byte) apptest.Response {
	t.Helper()
	req, err := http.NewRequest("POST", e.Server.URL+"/api/v1/customers/import", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.Key)
	req.Header.Set("Content-Type", contentType)
	res, err := e.Server.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return apptest.Response{Status: res.StatusCode, Header: res.Header, Body: b}
}

func TestCustomerCSVAPI(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, e *apptest.Env) {
		csvBody := "\ufeffexternal_id,name,email,phone,line_user_id,postal_address,locale,tags,email_consent,sms_consent,line_consent\n" +
			"c1,花子,hanako@example.jp,090-1234-5678,,,,vip|tea,true,,\n" +
			"c2,太郎,bad-email,,,,,,,,\n" +
			"c3,=cmd|' /C calc'!A0,,,,,,,,,\n"
		res := doCSV(t, e, "text/csv; charset=utf-8", []byte(csvBody))
		var ir struct {
			Created int `json:"created"`
			Updated int `json:"updated"`
			Errors  []struct {
				Row    int               `json:"row"`
				Fields map[string]string `json:"fields"`
			} `json:"errors"`
		}
		res.JSON(t, &ir)
		if res.Status != http.StatusOK || ir.Created != 2 || ir.Updated != 0 || len(ir.Errors) != 1 || ir.Errors[0].Row != 3 || ir.Errors[0].Fields["email"] == "" {
			t.Fatalf("import: %d %s", res.Status, res.Body)
		}
		wantError(t, "wrong header", doCSV(t, e, "text/csv", []byte("id_external,name\nc9,x\n")), 400, "header")
		wantError(t, "json content type", doCSV(t, e, "application/json", []byte(csvBody)), 400, "")
		wantError(t, "over 10 MiB", doCSV(t, e, "text/csv", append([]byte("external_id\n"), bytes.Repeat([]byte("c\n"), 5<<20+1)...)), 413, "")
		if res := e.Do("GET", "/api/v1/customers?external_id=c9", nil); strings.Contains(string(res.Body), "c9") {
			t.Errorf("a rejected import stored rows: %s", res.Body)
		}

		res = e.Do("GET", "/api/v1/customers/export.csv", nil)
		if res.Status != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("export.csv: %d %s %s", res.Status, res.Header.Get("Content-Type"), res.Body)
		}
		body := string(res.Body)
		if !strings.HasPrefix(body, "\ufeffexternal_id,") || !strings.Contains(body, "'+819012345678") ||
			!strings.Contains(body, "'=cmd|' /C calc'!A0") || !strings.Contains(body, "tea|vip,true") {
			t.Errorf("export.csv body:\n%s", body)
		}
	})
}
