def test_login_and_me(client_for):
    c = client_for("operator")
    r = c.get("/api/v1/me")
    assert r.status_code == 200
    assert r.json()["role"] == "operator"
