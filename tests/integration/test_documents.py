"""Documents in containers and signed PDFs through the real command: a ZIP sent from another
municipality's domain, and a digitally signed form judged against the configured trust roots."""
import json

from tests.conftest import Installation, write_config
from tests.factories.containers import zip_of
from tests.factories.forms import FormSpec, form_docx, form_pdf
from tests.factories.minutes import MinutesSpec, minutes_pdf
from tests.factories.signed import make_pki, sign_pdf
from tests.mails import mail

AARHUS = FormSpec(municipality="Aarhus Kommune", cvr="55133018", director_name="Jens Peter Holm",
                  director_phone="89 40 20 00", director_email="jph@aarhus.dk", signer_name="Jens Peter Holm")


def test_zip_from_a_consultant_domain_is_read_and_the_mismatch_queued(installation):
    members = {"Ansøgning Aarhus.docx": form_docx(AARHUS, "headings"),
               "Referat BUU.pdf": minutes_pdf(MinutesSpec(municipality="Aarhus Kommune"), "table")}
    bundle = zip_of(members)
    installation.deliver(mail(sender="Konsulent <kons@slagelse.dk>", attachments=[("ansøgning.zip", bundle)],
                              received="2025-03-20 10:00:00"))
    installation.cli("run", "--once", now="2025-03-20T10:01:00+01:00")
    [item] = installation.queue()
    assert (item["municipality"], item["cvr"], item["status"]) == ("Aarhus Kommune", "55133018", "complete")
    assert "slagelse.dk" in item["municipality_mismatch"] and "Slagelse Kommune" in item["municipality_mismatch"]
    # each document inside the ZIP is kept as a file of its own: what the web queue offers for download
    import sqlite3

    from storage.files import FileStore

    store = FileStore(installation.root / "files")
    rows = sqlite3.connect(installation.root / "intake.db").execute("select filename, sha256, size from attachment").fetchall()
    kept = {name: store.get(digest) for name, digest, _ in rows}
    assert kept == {f"ansøgning.zip/{n}": data for n, data in members.items()}
    assert all(size == len(kept[name]) for name, _, size in rows)


def test_digital_signature_against_configured_trust_roots(tmp_path):
    pki = make_pki("Jens Peter Holm")
    signed = sign_pdf(form_pdf(FormSpec(**{**AARHUS.__dict__, "signature": "none"}), "table"), pki)
    raw = mail(sender="Jens Peter Holm <jph@aarhus.dk>", attachments=[("skema.pdf", signed), ("referat.pdf", minutes_pdf(MinutesSpec()))])
    (tmp_path / "message.eml").write_bytes(raw)

    untrusted = Installation(tmp_path, write_config(tmp_path))
    result = json.loads(untrusted.cli("check", str(tmp_path / "message.eml"), "--json").stdout)
    assert result["checks"]["director_signature"]["status"] == "review"
    assert result["checks"]["director_signature"]["evidence"] == "digital"
    assert "Jens Peter Holm" in result["checks"]["director_signature"]["detail"]

    (tmp_path / "ca.pem").write_bytes(pki.ca_pem)
    trusted = Installation(tmp_path, write_config(tmp_path, extra='[signatures]\ntrust_roots = ["ca.pem"]'))
    result = json.loads(trusted.cli("check", str(tmp_path / "message.eml"), "--json").stdout)
    assert result["checks"]["director_signature"]["status"] == "ok"
    assert result["checks"]["director_signature"]["citations"][0]["location"] == "signaturfelt Direktørunderskrift"
