"""deploy/'s nginx site in front of a real gunicorn with production settings.

The site file is rendered with test values (a throwaway certificate, loopback ports, temporary
static and media folders), checked with ``nginx -t``, then served by Debian's nginx as a child
process: static files and film images from nginx itself, the API and the admin from gunicorn.
"""

import http.client
import json
import ssl
from collections.abc import Iterator

import pytest
from axes.models import AccessAttempt

from backoffice.campaign.tests.servers import free_port
from tests.deploy.servers import Gunicorn, Nginx, production_env, self_signed_certificate, site_config

# Every test transactional: gunicorn reads what the tests commit. One process runs the module, so
# its servers start once (SHARED_FIXTURE_MODULES in conftest.py).
pytestmark = [pytest.mark.postgresql, pytest.mark.hosts, pytest.mark.django_db(transaction=True)]

HOST = "127.0.0.1"
CLIENT = "127.0.0.9"  # the test's requests leave from this loopback address, so nginx sees it


class Stack:
    def __init__(self, nginx: Nginx, gunicorn: Gunicorn, *, http_port: int, https_port: int, static_root, media_root):
        self.nginx, self.gunicorn = nginx, gunicorn
        self.http_port, self.https_port = http_port, https_port
        self.static_root, self.media_root = static_root, media_root

    def get(self, path: str, **kwargs) -> http.client.HTTPResponse:
        return self.request("GET", path, **kwargs)

    def request(
        self, method: str, path: str, *, headers: dict | None = None, body: str | None = None, tls: bool = True
    ) -> http.client.HTTPResponse:
        if tls:
            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # the throwaway certificate
            conn = http.client.HTTPSConnection(
                HOST, self.https_port, timeout=15, context=context, source_address=(CLIENT, 0)
            )
        else:
            conn = http.client.HTTPConnection(HOST, self.http_port, timeout=15, source_address=(CLIENT, 0))
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        response.body = response.read()
        conn.close()
        return response


@pytest.fixture(scope="module")
def stack(test_database_url, static_root, tmp_path_factory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("site")
    media_root = folder / "media"
    (media_root / "films").mkdir(parents=True)
    gunicorn = Gunicorn(
        host=HOST,
        port=free_port(),
        env=production_env(
            DATABASE_URL=test_database_url,
            ALLOWED_HOSTS=HOST,
            TRUSTED_PROXY_COUNT="1",
            STATIC_ROOT=str(static_root),
            MEDIA_ROOT=str(media_root),
        ),
    )
    certificate, key = self_signed_certificate(folder)
    http_port, https_port = free_port(), free_port()
    nginx = Nginx(
        site_config(
            server_name=HOST,
            certificate=certificate,
            key=key,
            upstreams=[gunicorn.address],
            static_root=static_root,
            media_root=media_root,
            http_port=http_port,
            https_port=https_port,
        )
    )
    try:
        gunicorn.start()
        yield Stack(
            nginx, gunicorn, http_port=http_port, https_port=https_port, static_root=static_root, media_root=media_root
        )
    finally:
        nginx.close()
        gunicorn.close()


@pytest.fixture(scope="module")
def served(stack) -> Stack:
    checked = stack.nginx.check()
    assert checked.returncode == 0, checked.stderr
    stack.nginx.start(stack.http_port, stack.https_port)
    return stack


def test_the_site_file_passes_nginx_t(stack):
    checked = stack.nginx.check()
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr
    assert "test is successful" in checked.stderr


def test_plain_http_is_sent_to_https(served):
    response = served.get("/admin/", tls=False, headers={"Host": HOST})
    assert response.status == 301
    assert response.getheader("Location") == f"https://{HOST}/admin/"


def test_hashed_static_files_come_from_nginx_cached_for_a_year(served):
    manifest = json.loads((served.static_root / "staticfiles.json").read_text())
    hashed = manifest["paths"]["admin/css/base.css"]
    response = served.get(f"/static/{hashed}")
    assert response.status == 200
    assert response.body == (served.static_root / hashed).read_bytes()
    assert response.getheader("Content-Type") == "text/css"
    assert response.getheader("Cache-Control") == "public, max-age=31536000, immutable"
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    # Served from the folder: gunicorn never saw the request.
    assert "/static/" not in served.gunicorn.output()
    # Source maps are left uncompressed: only developer tools fetch them.
    assert list(served.static_root.rglob("*.map"))
    assert not list(served.static_root.rglob("*.map.gz"))

    compressed = served.get(f"/static/{hashed}", headers={"Accept-Encoding": "gzip"})
    assert compressed.getheader("Content-Encoding") == "gzip"
    assert compressed.body == (served.static_root / f"{hashed}.gz").read_bytes()

    plain = served.get("/static/admin/css/base.css")
    assert plain.status == 200
    assert plain.getheader("Cache-Control") == "public, max-age=3600"


def test_film_images_come_from_the_media_folder_and_nothing_else_does(served):
    (served.media_root / "films" / "elf.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    response = served.get("/media/films/elf.png")
    assert response.status == 200
    assert response.getheader("Content-Type") == "image/png"
    assert response.body.startswith(b"\x89PNG")
    assert served.get("/media/films/missing.png").status == 404


def test_the_api_answers_through_nginx_as_a_secure_request(served):
    response = served.get("/api/films/", headers={"Accept": "application/json"})
    assert response.status == 200, response.body[:300]
    assert json.loads(response.body)["results"] == []
    # Django saw HTTPS from X-Forwarded-Proto: it sends HSTS only on secure requests.
    assert response.getheader("Strict-Transport-Security", "").startswith("max-age=31536000")
    assert "default-src" in response.getheader("Content-Security-Policy")


def test_the_admin_login_page_is_served_with_its_static_files(served):
    response = served.get("/admin/login/")
    assert response.status == 200
    page = response.body.decode()
    assert "Log in" in page
    css = next(part.split('"')[0] for part in page.split('href="/static/')[1:] if ".css" in part.split('"')[0])
    assert served.get(f"/static/{css}").status == 200
    cookie = response.getheader("Set-Cookie")
    assert "csrftoken=" in cookie
    assert "Secure" in cookie


def test_a_failed_login_names_the_address_nginx_saw_never_the_one_the_client_wrote(served):
    page = served.get("/admin/login/")
    token = page.getheader("Set-Cookie").split("csrftoken=")[1].split(";")[0]
    form = f"csrfmiddlewaretoken={token}&username=mallory&password=wrong&next=/admin/"
    response = served.request(
        "POST",
        "/admin/login/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={token}",
            "Origin": f"https://{HOST}:{served.https_port}",
            "Host": f"{HOST}:{served.https_port}",
            # A client's own X-Forwarded-For: nginx appends the real address, Django reads only that.
            "X-Forwarded-For": "203.0.113.66",
        },
    )
    assert response.status == 200, response.body[:300]
    assert "Please enter the correct username" in response.body.decode()
    attempt = AccessAttempt.objects.get(username="mallory")
    assert attempt.ip_address == CLIENT
