"""The dashboard in a real headless browser (Debian chromium + chromedriver, selenium 4).

Starts the real server (``python -m gaia_sim.cli dashboard``) on a free port over a temporary
results root with small scenarios, with all network access except localhost blocked in the browser
(so a CDN asset would fail to load), then: the page opens on the baseline results; an invalid
control value is refused with a message; a changed control and a short run update the figures
epoch by epoch; the Network, Detector and Sweep pages draw. The tests after "issue 17: defects" each
failed before their fix (sweep list, x = y, loading, stale figures, legends, balances, summary, domain
dropdowns, controls, run-time estimate, Stop on the last epoch, per-tab current run, narrow screens).
Screenshots go to pytest's temporary folder (printed; ``screenshots`` under the module's tmp dir) or to
$GAIA_SCREENSHOT_DIR; the tests never write into the repository.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from test_dashboard_data import write_prim, write_recommendation  # noqa: E402 - fixtures of the data tests

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
REPO = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
        reason="needs Debian chromium and chromedriver: apt-get install -y chromium chromium-driver",
    ),
]

RUN_EPOCHS = 60  # long enough (several seconds) that the page polls mid-run


def _answers() -> str:
    """The shipped bank when it loads here, else the named stand-in answer source."""
    try:
        from gaia_sim.answers.bank import load_default_bank

        load_default_bank()
        return "default"
    except Exception:
        return "stand-in"


def _scenario(name: str, mix: str, epochs: int, answers: str) -> str:
    return (
        f'name = "{name}"\nseed = 7\nepochs = {epochs}\nanswers = "{answers}"\n'
        f"[network]\ndomains = 1\nnodes_per_domain = 16\nvalidators = 3\n[population]\n{mix}\n"
    )


def _sweep(root: Path, base: Path, stakes=(0, 5, 10, 20, 40)) -> None:
    """A small sweep result in the layout of gaia_sim.sweep.store (results.parquet + sweep.toml +
    manifest naming the base scenario, from which the page computes the deterrence boundary)."""
    root.mkdir(parents=True)
    rng = np.random.default_rng(0)
    stakes, fractions = tuple(stakes), (0.1, 0.25, 0.5, 1.0)
    rows = [
        {
            "point": i,
            "replicate": r,
            "seed": r,
            "scenario_hash": f"{i}-{r}",
            "staking.node_stake": s,
            "slashing.slash_fraction": f,
            "final_honest_share": float(s * f > 4) + rng.normal(scale=0.05),
        }
        for i, (s, f) in enumerate((s, f) for s in stakes for f in fractions)
        for r in range(3)
    ]
    pd.DataFrame(rows).to_parquet(root / "results.parquet")
    (root / "sweep.toml").write_text(
        f'[sweep]\nmode = "grid"\n[axes]\n"staking.node_stake" = {list(stakes)}\n'
        f'"slashing.slash_fraction" = {list(fractions)}\n'
    )
    (root / "manifest.json").write_text(json.dumps({"name": "demo", "base_scenario": str(base)}))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dash")
    answers = _answers()
    (tmp / "scenarios").mkdir()
    (tmp / "scenarios" / "baseline.toml").write_text(_scenario("baseline", "honest = 0.75\nlazy = 0.25", 4, answers))
    (tmp / "scenarios" / "lazy_nodes.toml").write_text(_scenario("lazy_nodes", "honest = 0.5\nlazy = 0.5", 4, answers))
    (tmp / "sweep_base.toml").write_text(
        _scenario("sweep_base", "honest = 0.5\nlazy = 0.5", 4, answers) + "[slashing]\nforfeit_revenue = false\n"
    )
    _sweep(tmp / "results" / "sweeps" / "demo", tmp / "sweep_base.toml")
    port = _free_port()
    log = open(tmp / "server.log", "w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gaia_sim.cli",
            "dashboard",
            "--port",
            str(port),
            "--results",
            str(tmp / "results"),
            "--scenarios",
            str(tmp / "scenarios"),
            "--sweeps",
            str(tmp / "results"),
        ],
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_http(url, proc, tmp / "server.log")
        yield url, tmp
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
        print(f"server log: {tmp / 'server.log'}")


def _wait_http(url: str, proc, log: Path, timeout: float = 90) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            pytest.fail(f"dashboard exited with {proc.returncode}:\n{log.read_text()}")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"dashboard did not answer within {timeout} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1400,2200",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
        # no network but localhost: any CDN asset would fail and show up in the console log
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    ):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=opts, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(60)
    driver.gaia_shots = Path(os.environ.get("GAIA_SCREENSHOT_DIR") or tmp_path_factory.mktemp("screenshots"))
    driver.gaia_shots.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def _shot(driver, name: str) -> None:
    path = driver.gaia_shots / f"{name}.png"
    driver.save_screenshot(str(path))
    print(f"screenshot: {path}")


def _wait(driver, predicate, timeout: float = 30, what: str = "condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            value = predicate(driver)
            if value:
                return value
        except Exception:  # element not there yet / stale while React re-renders
            pass
        time.sleep(0.1)
    _shot(driver, "failed_" + what.replace(" ", "_"))
    pytest.fail(
        f"timed out after {timeout} s waiting for {what}; page says: {driver.find_element('css selector', 'body').text[:1500]}"
    )


def _trace_lengths(driver, graph_id: str) -> list[int]:
    return driver.execute_script(
        "const g = document.querySelector(arguments[0] + ' .js-plotly-plot');"
        "return g && g._fullData ? g._fullData.map(t => t._length === undefined ? null : t._length) : null;",
        f"#{graph_id}",
    )


def _param(driver, path: str):
    from selenium.webdriver.common.by import By

    ident = json.dumps({"path": path, "type": "param"}, separators=(",", ":"))
    return driver.find_element(By.CSS_SELECTOR, f"input[id='{ident}']")


def _type(driver, path: str, value: str) -> None:
    """Type ``value`` into a parameter box. For ``epochs``, also wait (up to 20 s, without failing) for
    the run-time estimate to name that many epochs: the server has then seen the value, so a Run
    clicked next cannot take the previous one (a race seen under load)."""
    from selenium.webdriver.common.keys import Keys

    box = _param(driver, path)
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.BACKSPACE)
    box.send_keys(value)
    if path == "epochs" and value.isdigit():
        end, want = time.monotonic() + 20, f"for {int(value):,} epochs"
        while time.monotonic() < end:
            try:
                if want in _text(driver, "#run-estimate"):
                    return
            except Exception:  # re-rendering
                pass
            time.sleep(0.1)


def _text(driver, css: str) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, css).text


def _click(driver, css: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, css).click()


def _job_of(status: str) -> str:
    return status.split(":")[0] if status.startswith("job") else ""


def _start_run(driver) -> str:
    """Press Run and return the new job's id (the status may still show the previous job's 'done')."""
    before = _job_of(_text(driver, "#run-status"))
    _click(driver, "#run-button")
    return _wait(
        driver,
        lambda d: (_job_of(_text(d, "#run-status")) not in ("", before)) and _job_of(_text(d, "#run-status")),
        30,
        "a new run to start",
    )


def _status_when_done(driver, job: str, timeout: float = 90) -> str:
    return _wait(
        driver,
        lambda d: (
            _text(d, "#run-status").startswith(f"{job}:")
            and "done" in _text(d, "#run-status")
            and _text(d, "#run-status")
        ),
        timeout,
        f"{job} to finish",
    )


def test_run_page_refuses_bad_input_then_runs_and_updates_figures(server, browser):
    url, tmp = server
    browser.get(url)
    _wait(browser, lambda d: _trace_lengths(d, "fig-shares"), 60, "the baseline figures")
    assert _trace_lengths(browser, "fig-shares")[0] == 4  # opened on the stored 4-epoch baseline run
    assert "baseline" in _text(browser, "#run-shown")
    _wait(browser, lambda d: _param(d, "detector.alpha").get_attribute("value") != "", 10, "controls filled")
    _shot(browser, "01_run_page_opened")

    _type(browser, "detector.alpha", "2")
    _click(browser, "#run-button")
    msg = _wait(browser, lambda d: _text(d, "#run-message"), 15, "a refusal message")
    assert "detector.alpha" in msg and "1" in msg, msg
    assert "error" in browser.find_element("css selector", "#run-message").get_attribute("class")
    _shot(browser, "02_run_page_refused_alpha")

    _type(browser, "detector.alpha", "0.05")
    _type(browser, "staking.node_stake", "250")
    _type(browser, "epochs", str(RUN_EPOCHS))
    _start_run(browser)
    _click(browser, "#run-button")  # a second click while running is refused, the run goes on
    assert "still running" in _wait(browser, lambda d: _text(d, "#run-message"), 10, "the busy message")
    seen_lengths, seen_progress = set(), set()

    def finished(d):
        lengths = _trace_lengths(d, "fig-shares")
        if lengths:
            seen_lengths.add(lengths[0])
        seen_progress.add(d.find_element("css selector", "#run-progress").get_attribute("value"))
        return "done" in _text(d, "#run-status")

    _wait(browser, finished, 120, "the run to finish")
    _wait(browser, lambda d: _trace_lengths(d, "fig-shares")[0] == RUN_EPOCHS, 20, "the final redraw")
    _wait(browser, lambda d: f"{RUN_EPOCHS} epochs)" in _text(d, "#run-summary"), 20, "the run's summary")
    assert _text(browser, "#run-message") == ""
    progress = browser.find_element("css selector", "#run-progress")
    assert progress.get_attribute("value") == progress.get_attribute("max") == str(RUN_EPOCHS)
    partial = {n for n in seen_lengths if 0 < n < RUN_EPOCHS and n != 4}
    assert partial, f"figures never showed a partial run (lengths seen: {sorted(seen_lengths)})"
    for graph in ("fig-stake", "fig-slashes", "fig-revenue"):
        assert max(_trace_lengths(browser, graph)) == RUN_EPOCHS, graph
    assert list((tmp / "results").glob("dashboard-runs/*/baseline/*/steps.parquet")), "finished run was not written"
    _shot(browser, "03_run_page_after_run")
    print(f"figure lengths seen while running: {sorted(seen_lengths)}; progress values: {sorted(seen_progress)}")


def test_stop_ends_a_run_early(server, browser):
    url, _ = server
    if not browser.current_url.startswith(url):
        browser.get(url)
    _click(browser, "#tab-run")
    _type(browser, "epochs", "400")
    _click(browser, "#run-button")
    _wait(
        browser,
        lambda d: "epoch" in _text(d, "#run-status") and "/400" in _text(d, "#run-status"),
        20,
        "the long run to start",
    )
    _click(browser, "#run-stop")
    status = _wait(
        browser, lambda d: "stopped" in _text(d, "#run-status") and _text(d, "#run-status"), 30, "the run to stop"
    )
    epoch = int(status.split("epoch ")[1].split("/")[0])
    assert 0 < epoch < 400, status
    assert "not written" in _text(browser, "#run-message")
    _type(browser, "epochs", "4")


def test_picking_a_scenario_fills_the_controls_with_its_values(server, browser):
    from selenium.webdriver.common.by import By

    url, _ = server
    if not browser.current_url.startswith(url):
        browser.get(url)
    _click(browser, "#tab-run")
    browser.find_element(By.CSS_SELECTOR, "#run-scenario").click()
    option = _wait(
        browser,
        lambda d: d.find_element(By.XPATH, "//*[normalize-space(text())='lazy_nodes.toml']"),
        10,
        "the scenario list",
    )
    option.click()
    _wait(
        browser,
        lambda d: _param(d, "population.lazy").get_attribute("value") == "0.5",
        15,
        "the lazy_nodes mix in the controls",
    )
    assert _param(browser, "population.honest").get_attribute("value") == "0.5"
    _wait(browser, lambda d: "no stored run of lazy_nodes.toml" in _text(d, "#run-shown"), 15, "the no-stored-run note")


def test_other_pages_draw(server, browser):
    url, _ = server
    if not browser.current_url.startswith(url):
        browser.get(url)
    _click(browser, "#tab-network")
    # the run current now is the one the previous test stopped (or the 60-epoch one when run alone)
    _wait(browser, lambda d: "job" in _text(d, "#network-message"), 30, "the network of the run made here")
    _wait(browser, lambda d: _trace_lengths(d, "fig-network"), 30, "the network graph")
    assert "domain 0" in _text(browser, "#network-message")
    _shot(browser, "04_network_page")

    _click(browser, "#tab-detector")
    msg = _wait(
        browser,
        lambda d: "nodes" in _text(d, "#det-message") and _text(d, "#det-message"),
        90,
        "the detector's verdict",
    )
    assert "detector 'default'" in msg and "job" in msg, msg
    _wait(browser, lambda d: _trace_lengths(d, "fig-pca") and _trace_lengths(d, "fig-scores"), 20, "detector figures")
    _shot(browser, "05_detector_page")

    _click(browser, "#tab-sweep")
    _wait(browser, lambda d: "demo" in _text(d, "#sweep-message"), 30, "the sweep to open")
    kinds_js = "const g = document.querySelector('#fig-phase .js-plotly-plot'); return g && g.data ? g.data.map(t => t.type) : []"
    _wait(
        browser,
        lambda d: "heatmap" in d.execute_script(kinds_js),
        60,
        "the phase diagram (drawn with the analytic boundary)",
    )
    assert "deterrence" in _text(browser, "#sweep-boundary-note")
    _shot(browser, "06_sweep_page")


# --------------------------------------------------------------------------- issue 17: defects
def _tab(driver, key: str) -> None:
    """Click a page tab once the page has rendered it."""
    from selenium.webdriver.common.by import By

    _wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, f"#tab-{key}"), 30, f"the {key} tab").click()


def _pick(driver, dropdown_id: str, label: str) -> None:
    """Open a dcc.Dropdown and click the option whose text is ``label``."""
    from selenium.webdriver.common.by import By

    if not [o for o in driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option") if o.is_displayed()]:
        _click(driver, f"#{dropdown_id}")
    option = _wait(
        driver,
        lambda d: next(o for o in d.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option") if o.text.strip() == label),
        10,
        f"option {label} of {dropdown_id}",
    )
    option.click()


def _option_texts(driver, dropdown_id: str) -> list[str]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _click(driver, f"#{dropdown_id}")
    time.sleep(0.3)
    texts = [o.text.strip() for o in driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option")]
    driver.find_element(By.CSS_SELECTOR, "body").send_keys(Keys.ESCAPE)
    return texts


_PHASE_JS = (
    "const g = document.querySelector('#fig-phase .js-plotly-plot');"
    "return g && g._fullData ? g._fullData.filter(t => t.type === 'heatmap').map(t => Array.from(t.x)) : null;"
)


def _open_sweep_page(driver, url):
    if not driver.current_url.startswith(url):
        driver.get(url)
    _tab(driver, "sweep")
    _wait(driver, lambda d: "rows" in _text(d, "#sweep-message"), 30, "a sweep to open")


def test_sweep_list_is_read_again_when_the_page_is_shown(server, browser):
    """A sweep written after the server started is offered (the list was filled once at start)."""
    url, tmp = server
    _sweep(tmp / "results" / "sweeps" / "later", tmp / "sweep_base.toml")
    browser.get(url)
    _tab(browser, "sweep")
    _wait(
        browser,
        lambda d: any(t.endswith("later") for t in _option_texts(d, "sweep-pick")),
        20,
        "the new sweep in the list",
    )


def test_sweep_refuses_x_equal_to_y_with_a_message(server, browser):
    url, _ = server
    _open_sweep_page(browser, url)
    _wait(browser, lambda d: d.execute_script(_PHASE_JS), 60, "the phase diagram")
    _pick(browser, "sweep-y", "staking.node_stake")  # x is staking.node_stake
    note = _wait(
        browser,
        lambda d: "different" in _text(d, "#sweep-boundary-note") and _text(d, "#sweep-boundary-note"),
        15,
        "the x = y refusal",
    )
    assert "error" in browser.find_element("css selector", "#sweep-boundary-note").get_attribute("class"), note
    _wait(browser, lambda d: d.execute_script(_PHASE_JS) == [], 10, "the stale heat map to go")
    _shot(browser, "07_sweep_x_equals_y")
    _pick(browser, "sweep-y", "slashing.slash_fraction")
    _wait(browser, lambda d: d.execute_script(_PHASE_JS), 60, "the phase diagram again")


def test_opening_another_sweep_clears_the_old_heat_map_and_shows_it_is_loading(server, browser):
    from selenium.webdriver.common.keys import Keys

    url, tmp = server
    _sweep(tmp / "results" / "sweeps" / "wide", tmp / "sweep_base.toml", stakes=(0, 50, 100, 200))
    _open_sweep_page(browser, url)
    old = _wait(browser, lambda d: d.execute_script(_PHASE_JS), 60, "the first phase diagram")
    seen = {"old_shown": 0.0, "loading": False}
    loading_js = (
        "const s = document.querySelector('#sweep-loading .dash-spinner, #sweep-loading .dash-spinner-container');"
        "const g = document.querySelector('#fig-phase');"
        "return !!s || (g && getComputedStyle(g).visibility === 'hidden');"
    )
    start = time.monotonic()
    box = browser.find_element("css selector", "#sweep-path")
    box.send_keys(str(tmp / "results" / "sweeps" / "wide"))
    box.send_keys(Keys.ENTER)

    def drawn(d):
        now = d.execute_script(_PHASE_JS)
        visible = d.execute_script(
            "const g = document.querySelector('#fig-phase');return g && getComputedStyle(g).visibility !== 'hidden';"
        )
        if now == old and visible:
            seen["old_shown"] = time.monotonic() - start
        seen["loading"] = (
            seen["loading"] or d.execute_script(loading_js) or "Computing" in _text(d, "#sweep-boundary-note")
        )
        return now and now != old and [200] == [max(now[0])]

    _wait(browser, drawn, 60, "the new phase diagram")
    assert seen["old_shown"] < 1.5, (
        f"the previous sweep's heat map stayed {seen['old_shown']:.1f} s under the new choice"
    )
    assert seen["loading"], "no loading sign while the boundary was computed"
    _shot(browser, "08_sweep_other_opened")


def test_picking_a_scenario_without_a_stored_run_clears_the_old_figures(server, browser):
    url, _ = server
    if not browser.current_url.startswith(url):
        browser.get(url)
    _tab(browser, "run")
    _pick(browser, "run-scenario", "baseline.toml")
    _wait(
        browser,
        lambda d: _trace_lengths(d, "fig-shares") and "stored run" in _text(d, "#run-shown"),
        20,
        "the stored baseline figures",
    )
    _pick(browser, "run-scenario", "lazy_nodes.toml")
    _wait(browser, lambda d: "no stored run of lazy_nodes.toml" in _text(d, "#run-shown"), 20, "the note")
    for graph in ("fig-shares", "fig-stake", "fig-slashes", "fig-revenue"):
        _wait(browser, lambda d, g=graph: _trace_lengths(d, g) == [], 10, f"{graph} to be cleared")
    assert _text(browser, "#run-summary") == ""
    _shot(browser, "09_run_page_other_scenario")
    _pick(browser, "run-scenario", "baseline.toml")
    _wait(browser, lambda d: _trace_lengths(d, "fig-shares"), 20, "the baseline figures again")


def _trace_names(driver, graph_id: str) -> list[str]:
    return driver.execute_script(
        "const g = document.querySelector(arguments[0] + ' .js-plotly-plot');"
        "return g && g._fullData ? g._fullData.filter(t => t.showlegend !== false).map(t => t.name) : null;",
        f"#{graph_id}",
    )


def _open_stored_baseline(driver, url) -> None:
    """The Run page showing the stored baseline run (honest 0.75, lazy 0.25: three behaviours absent).

    Opened through a link (``?scenario=baseline.toml``) rather than a dropdown pick: a pick made while
    the page's first callbacks are still in flight can be lost under load."""
    if not driver.current_url.startswith(url):
        driver.get(url)
    _tab(driver, "run")
    if _shows_stored_baseline(driver):
        return
    for _load in range(2):
        driver.get(url.rstrip("/") + "/?scenario=baseline.toml")
        _tab(driver, "run")
        end = time.monotonic() + 45
        while time.monotonic() < end:
            if _shows_stored_baseline(driver):
                return
            time.sleep(0.1)
    # Loaded twice, 45 s each (CI once saw one load of a busy machine miss 60 s): say what the page showed.
    _shot(driver, "failed_the_stored_baseline_run")
    pytest.fail(
        "the stored baseline run was not shown after two page loads; #run-shown says "
        f"{_text(driver, '#run-shown')!r}, fig-shares traces {_safe(_trace_lengths, driver, 'fig-shares')}, "
        f"#run-message {_text(driver, '#run-message')!r}"
    )


def _safe(fn, *args):
    try:
        return fn(*args)
    except Exception as err:  # the page may be mid-render
        return f"<{type(err).__name__}>"


def _shows_stored_baseline(driver) -> bool:
    try:
        shown = _text(driver, "#run-shown")
        return "stored run" in shown and "baseline/" in shown and bool(_trace_lengths(driver, "fig-shares"))
    except Exception:  # element not there yet / stale while React re-renders
        return False


def test_legends_show_only_the_behaviours_present_in_the_run(server, browser):
    _open_stored_baseline(browser, server[0])
    assert _trace_names(browser, "fig-shares") == ["honest", "lazy"]
    assert _trace_names(browser, "fig-stake") == ["honest", "lazy"]
    assert sorted(_trace_names(browser, "fig-revenue")) == [
        "honest cost",
        "honest revenue",
        "lazy cost",
        "lazy revenue",
    ]


def test_balance_panel_says_balances_and_debts_move_with_a_switching_node(server, browser):
    _open_stored_baseline(browser, server[0])
    titles = browser.execute_script(
        "const g = document.querySelector('#fig-stake .js-plotly-plot');"
        "return (g.layout.annotations || []).map(a => a.text).join(' ');"
    )
    assert "switched" in titles and "debts" in titles, titles


def test_run_summary_says_never_and_what_happened_not_minus_one_and_nan(server, browser):
    _open_stored_baseline(browser, server[0])
    summary = _wait(browser, lambda d: _text(d, "#run-summary"), 20, "the summary")
    assert "What happened:" in summary, summary
    assert "shares settled" in summary and ("never" in summary or "from epoch" in summary), summary
    assert "settled_epoch" not in summary and "nan" not in summary.lower().split(), summary
    _shot(browser, "10_run_page_summary")


def test_domain_dropdowns_show_a_domain_and_the_detector_names_it(server, browser):
    url, _ = server
    browser.get(url)
    _tab(browser, "network")
    _wait(browser, lambda d: _trace_lengths(d, "fig-network"), 30, "the network graph")
    _wait(browser, lambda d: _text(d, "#network-domain").strip() == "0", 10, "domain 0 shown in the Network dropdown")
    _tab(browser, "detector")
    _wait(browser, lambda d: _text(d, "#det-domain").strip() == "0", 20, "domain 0 shown in the Detector dropdown")
    msg = _wait(
        browser,
        lambda d: "nodes" in _text(d, "#det-message") and _text(d, "#det-message"),
        90,
        "the detector's verdict",
    )
    assert "domain 0" in msg and "domain None" not in msg, msg


def test_run_page_controls_forfeit_quorum_and_revision_rate(server, browser):
    """The three levers that reach the regime where cheating wins are on the page and reach the run."""
    from selenium.webdriver.common.by import By

    url, tmp = server
    _open_stored_baseline(browser, url)
    _wait(browser, lambda d: _param(d, "validation.quorum").get_attribute("value") != "", 10, "a quorum control")
    assert float(_param(browser, "strategy.revision_rate").get_attribute("value")) == 0.05
    _type(browser, "validation.quorum", "0.5")
    _type(browser, "strategy.revision_rate", "0.5")
    _type(browser, "epochs", "3")
    flag = json.dumps({"path": "slashing.forfeit_revenue", "type": "param"}, separators=(",", ":"))
    browser.find_element(By.XPATH, f"//*[@id='{flag}']//label[normalize-space()='no']").click()
    status = _status_when_done(browser, _start_run(browser), 60)
    manifest = json.loads((Path(status.split("written to ")[1].strip()) / "manifest.json").read_text())
    scenario = manifest["scenario"]
    assert scenario["slashing"]["forfeit_revenue"] is False
    assert scenario["validation"]["quorum"] == 0.5 and scenario["strategy"]["revision_rate"] == 0.5
    assert scenario["epochs"] == 3
    _pick(browser, "run-scenario", "lazy_nodes.toml")  # the controls go back to the file's values
    _wait(
        browser, lambda d: float(_param(d, "validation.quorum").get_attribute("value")) > 0.66, 15, "the file's quorum"
    )


def test_run_page_estimates_the_run_time_and_refuses_a_run_of_hours(server, browser):
    url, _ = server
    _open_stored_baseline(browser, url)
    _type(browser, "epochs", "1000000")
    est = _wait(
        browser,
        lambda d: "1,000,000 epochs" in _text(d, "#run-estimate") and _text(d, "#run-estimate"),
        20,
        "a run-time estimate",
    )
    assert "estimated run time: about" in est and ("h" in est or "days" in est), est
    status = _text(browser, "#run-status")
    _click(browser, "#run-button")
    msg = _wait(
        browser, lambda d: "command line" in _text(d, "#run-message") and _text(d, "#run-message"), 15, "the refusal"
    )
    assert "gaia-sim run" in msg and "epochs=1000000" in msg, msg
    time.sleep(1)
    assert _text(browser, "#run-status") in (status, "not run")  # nothing started
    _type(browser, "epochs", "3")
    _wait(browser, lambda d: "3 epochs" in _text(d, "#run-estimate"), 20, "the estimate for 3 epochs")


def test_stop_on_the_last_epoch_keeps_the_complete_run(server, browser):
    url, tmp = server
    _open_stored_baseline(browser, url)
    _type(browser, "epochs", "1")
    _type(browser, "staking.node_stake", "123")  # a design not run yet here
    before = _job_of(_text(browser, "#run-status"))
    _click(browser, "#run-button")
    _click(browser, "#run-stop")  # arrives while the one (last) epoch runs
    status = _wait(
        browser,
        lambda d: (
            _job_of(_text(d, "#run-status")) not in ("", before)
            and ("done" in _text(d, "#run-status") or "stopped" in _text(d, "#run-status"))
            and _text(d, "#run-status")
        ),
        90,
        "the run to end",
    )
    assert "done, written to" in status, f"{status} / {_text(browser, '#run-message')}"
    assert "not written" not in _text(browser, "#run-message")
    assert (Path(status.split("written to ")[1].strip()) / "steps.parquet").exists()
    _type(browser, "staking.node_stake", "1000")
    _type(browser, "epochs", "4")


def test_a_run_made_in_one_tab_is_not_the_current_run_of_another(server, browser):
    """The Network and Detector pages show the run of their own tab, never another browser's job. One
    epoch: what is checked is whose run each tab shows, not its length (3 epochs took ~12 s under load)."""
    url, _ = server
    _open_stored_baseline(browser, url)
    _type(browser, "epochs", "1")
    _type(browser, "staking.node_stake", "321")
    job = _start_run(browser)
    _status_when_done(browser, job, 60)
    _tab(browser, "network")
    _wait(browser, lambda d: f"{job}:" in _text(d, "#network-message"), 30, "this tab's run on its Network page")
    first = browser.current_window_handle
    browser.switch_to.new_window("tab")
    try:
        browser.get(url)
        _tab(browser, "network")
        msg = _wait(
            browser,
            lambda d: "domain" in _text(d, "#network-message") and _text(d, "#network-message"),
            30,
            "the other tab's Network page",
        )
        assert job not in msg and "baseline" in msg, msg
        _tab(browser, "detector")
        det = _wait(
            browser,
            lambda d: "nodes" in _text(d, "#det-message") and _text(d, "#det-message"),
            60,
            "the other tab's Detector page",
        )
        assert job not in det, det
    finally:
        browser.close()
        browser.switch_to.window(first)
    _tab(browser, "run")
    _type(browser, "staking.node_stake", "1000")
    _type(browser, "epochs", "4")


def test_detector_page_explains_scores(server, browser):
    url, _ = server
    if not browser.current_url.startswith(url):
        browser.get(url)
    _tab(browser, "detector")
    note = _wait(browser, lambda d: _text(d, "#det-explain"), 10, "the score explanation")
    assert "-log10" in note and "not comparable across draws" in note and "scores can fall" in note, note


_OVERLAP_JS = """
const out = [];
for (const id of arguments[0]) {
  const g = document.querySelector('#' + id + ' .js-plotly-plot');
  if (!g) { out.push(id + ': not drawn'); continue; }
  const r = g.getBoundingClientRect();
  if (r.right > window.innerWidth + 1) out.push(id + ': wider than the window');
  const legend = g.querySelector('.legend'), plot = g.querySelector('.nsewdrag');
  if (legend && plot) {
    const a = legend.getBoundingClientRect(), b = plot.getBoundingClientRect();
    if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) out.push(id + ': legend over the plot');
  }
}
if (document.documentElement.scrollWidth > window.innerWidth + 1) out.push('page scrolls sideways: ' + document.documentElement.scrollWidth);
return out;
"""


@pytest.mark.parametrize("width", [1280, 420])
def test_run_page_usable_at_width(server, browser, width):
    """Item 8: every page usable at 1280 and 420 px (no figure wider than the window, no legend over a
    plot, no sideways scrolling), with a screenshot of each at that width."""
    url, tmp = server
    try:
        browser.set_window_size(width, 2400)
        browser.get(url)
        _wait(
            browser, lambda d: _trace_lengths(d, "fig-shares") and _trace_lengths(d, "fig-revenue"), 30, "the figures"
        )
        time.sleep(1)  # plotly's resize after layout
        problems = browser.execute_script(
            _OVERLAP_JS, ["fig-shares", "fig-stake", "fig-slashes", "fig-revenue", "fig-roc"]
        )
        _shot(browser, f"11_run_page_{width}px")
        _tab(browser, "network")
        _wait(browser, lambda d: _trace_lengths(d, "fig-network"), 30, "the network graph")
        time.sleep(0.5)
        problems += browser.execute_script(_OVERLAP_JS, ["fig-network"])
        _shot(browser, f"12_network_page_{width}px")
        _tab(browser, "sweep")
        _wait(browser, lambda d: d.execute_script(_PHASE_JS), 60, "the phase diagram")
        time.sleep(0.5)
        problems += browser.execute_script(_OVERLAP_JS, ["fig-phase", "fig-bands"])
        _shot(browser, f"13_sweep_page_{width}px")
        _tab(browser, "run")
        browser.execute_script(
            "document.querySelectorAll('#run-advanced, #run-advanced details').forEach(d => d.open = true)"
        )
        time.sleep(0.5)
        problems += [f"advanced panel: {p}" for p in browser.execute_script(_OVERLAP_JS, [])]
        _shot(browser, f"20_run_page_advanced_{width}px")
        _tab(browser, "compare")
        _wait(browser, lambda d: _text(d, "#cmp-message"), 30, "the Compare page")
        problems += browser.execute_script(_OVERLAP_JS, ["fig-cmp-runs", "fig-cmp-slices"])
        _shot(browser, f"21_compare_page_{width}px")
        write_recommendation(tmp / "results", f"wide{width}")  # removed below: the Recommend test starts with none
        _tab(browser, "recommend")
        _wait(browser, lambda d: _trace_lengths(d, "fig-attacks"), 30, "the recommendation")
        time.sleep(0.5)
        problems += browser.execute_script(_OVERLAP_JS, ["fig-attacks"])
        _shot(browser, f"22_recommend_page_{width}px")
        for name in ("11_run_page", "12_network_page", "13_sweep_page", "21_compare_page", "22_recommend_page"):
            png = (browser.gaia_shots / f"{name}_{width}px.png").read_bytes()
            shot_width = int.from_bytes(png[16:20], "big")  # PNG IHDR: width
            assert png[:8] == b"\x89PNG\r\n\x1a\n" and abs(shot_width - width) <= 20, (name, shot_width)
        assert not problems, problems
    finally:
        shutil.rmtree(tmp / "results" / "recommend" / f"wide{width}", ignore_errors=True)
        browser.set_window_size(1400, 2200)


def test_no_console_errors_and_no_remote_assets(server, browser):
    url, _ = server
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, severe
    remote = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith(arguments[0]))", url
    )
    assert not remote, remote


# --------------------------------------------------------------------------- issue 17 items 2, 5, 6
def test_run_page_shows_the_margin_before_you_run(server, browser):
    """Item 2: the closed-form margin, smallest deterring stake and participation band follow each edit at
    once, with the detector rates assumed and where they come from (measured or plainly assumed)."""
    url, _ = server
    _open_stored_baseline(browser, url)
    _wait(browser, lambda d: _param(d, "population.lazy").get_attribute("value") == "0.25", 20, "the file's mix")
    text = _wait(
        browser, lambda d: "for lazy nodes" in _text(d, "#run-margin") and _text(d, "#run-margin"), 30, "the margin"
    )
    assert "Smallest deterring stake" in text and "stake band" in text and "Detector rates" in text, text
    assert "measured in this design's stored run" in text, text
    start = time.monotonic()
    _type(browser, "staking.node_stake", "7")
    _wait(browser, lambda d: "at stake 7 " in _text(d, "#run-margin"), 10, "the margin at stake 7")
    assert time.monotonic() - start < 5
    assert "as saved" in _text(browser, "#run-margin")  # the edited design has no run: the file's run's rates
    _shot(browser, "14_run_page_margin")
    _pick(browser, "run-scenario", "lazy_nodes.toml")
    text = _wait(
        browser, lambda d: "assumed" in _text(d, "#run-margin") and _text(d, "#run-margin"), 20, "assumed rates"
    )
    assert "p = 0.000" in text and "pessimistic" in text, text
    _pick(browser, "run-scenario", "baseline.toml")


def test_export_downloads_and_a_link_reopens_the_design(server, browser, tmp_path):
    """Item 5: the design's scenario file (loads and runs), the run's tables and figures download; the
    address bar carries the design and opening that link elsewhere restores it."""
    from gaia_sim.runner import simulate
    from gaia_sim.scenario import load_scenario

    url, _ = server
    browser.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    _open_stored_baseline(browser, url)
    _wait(browser, lambda d: _param(d, "population.lazy").get_attribute("value") == "0.25", 20, "the file's mix")
    _type(browser, "staking.node_stake", "77")
    _type(browser, "epochs", "2")
    link = _wait(
        browser,
        lambda d: "staking.node_stake=77" in d.current_url and "epochs=2" in d.current_url and d.current_url,
        10,
        "the link",
    )
    assert "scenario=baseline.toml" in link, link
    for key, pattern in (("toml", "*.toml"), ("csv", "*tables-csv.zip"), ("parquet", "*-parquet.zip")):
        _click(browser, f"#export-{key}")
        _wait(browser, lambda d, p=pattern: list(tmp_path.glob(p)), 20, f"the {key} download")
    _click(browser, "#export-figures")
    page = _wait(browser, lambda d: next(tmp_path.glob("*figures.html"), None), 30, "the figures download")
    assert "plotly-graph-div" in page.read_text()
    design = load_scenario(next(tmp_path.glob("*.toml")))
    assert design.staking.node_stake == 77.0 and design.epochs == 2
    assert int(simulate(design).steps["epoch"].max()) == 2
    browser.switch_to.new_window("tab")
    try:
        browser.get(link)
        _wait(browser, lambda d: _param(d, "staking.node_stake").get_attribute("value") == "77", 30, "the linked stake")
        assert _param(browser, "epochs").get_attribute("value") == "2"
        _pick(browser, "run-scenario", "lazy_nodes.toml")
        _wait(browser, lambda d: "scenario=lazy_nodes.toml" in d.current_url, 10, "the link following the scenario")
    finally:
        browser.close()
        browser.switch_to.window(browser.window_handles[0])
    _type(browser, "staking.node_stake", "1000")
    _type(browser, "epochs", "4")


def _slide_to_start(driver, slider_id: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    handle = _wait(driver, lambda d: d.find_element(By.CSS_SELECTOR, f"#{slider_id} [role=slider]"), 10, "a slider")
    handle.click()
    handle.send_keys(Keys.HOME)


def test_figures_explained_and_epoch_sliders_show_the_network_and_verdicts_then(server, browser):
    """Item 6: one line from the metric catalogue under each figure; the Network and Detector pages
    show any epoch of the run, with the verdicts of that epoch."""
    from gaia_sim.metrics import CATALOGUE

    url, _ = server
    _open_stored_baseline(browser, url)
    assert CATALOGUE["share"][1] in _text(browser, "#explain-fig-shares")
    assert CATALOGUE["wrongly_slashed"][1] in _text(browser, "#explain-fig-slashes")
    _tab(browser, "network")
    msg = _wait(
        browser, lambda d: "epoch 4/4" in _text(d, "#network-message") and _text(d, "#network-message"), 30, "epoch 4"
    )
    assert "guilty verdicts this epoch" in msg and CATALOGUE["flagged"][1] in _text(browser, "#explain-fig-network")
    _slide_to_start(browser, "network-epoch")
    _wait(browser, lambda d: "epoch 1/4" in _text(d, "#network-message"), 20, "the network at epoch 1")
    assert _trace_lengths(browser, "fig-network")
    _shot(browser, "15_network_page_epoch_1")
    _tab(browser, "detector")
    _wait(browser, lambda d: "epoch 4/4" in _text(d, "#det-epoch-message"), 30, "the verdicts of epoch 4")
    _slide_to_start(browser, "det-epoch")
    msg = _wait(
        browser,
        lambda d: "epoch 1/4" in _text(d, "#det-epoch-message") and _text(d, "#det-epoch-message"),
        20,
        "epoch 1",
    )
    assert "verdicts, guilty:" in msg, msg
    title = browser.execute_script("return document.querySelector('#fig-verdicts .js-plotly-plot').layout.title.text")
    assert title == "Recorded verdicts of epoch 1", title
    assert CATALOGUE["wrongly_flagged"][1] in _text(browser, "#explain-fig-verdicts")
    _shot(browser, "16_detector_page_epoch_1")


# --------------------------------------------------------------------------- issue 17 items 7, 3, 4


def test_two_tabs_run_the_same_design_at_once_into_folders_of_their_own(server, browser):
    """Item 7: runs belong to the tab's session; two tabs running one design at once each see their own job
    and write a results folder of their own (they once wrote one folder together)."""
    url, tmp = server
    _open_stored_baseline(browser, url)
    first = browser.current_window_handle
    _type(browser, "epochs", "5")
    _type(browser, "staking.node_stake", "555")
    link = _wait(
        browser,
        lambda d: "node_stake=555" in d.current_url and "epochs=5" in d.current_url and d.current_url,
        10,
        "link",
    )
    browser.switch_to.new_window("tab")
    second = browser.current_window_handle
    jobs = {}
    try:
        browser.get(link)  # the same design in a second tab
        _wait(browser, lambda d: _param(d, "staking.node_stake").get_attribute("value") == "555", 30, "tab b's design")
        browser.switch_to.window(first)
        jobs["a"] = _start_run(browser)
        browser.switch_to.window(second)
        jobs["b"] = _start_run(browser)  # while a runs
        assert jobs["b"] != jobs["a"], jobs
        status_b = _status_when_done(browser, jobs["b"])
        _tab(browser, "network")
        own = jobs["b"] + ":"
        _wait(browser, lambda d: own in _text(d, "#network-message"), 30, "tab b's own run on its Network page")
    finally:
        browser.close()
        browser.switch_to.window(first)
    status_a = _status_when_done(browser, jobs["a"])
    folders = [Path(s.split("written to ")[1].strip()) for s in (status_a, status_b)]
    assert folders[0] != folders[1], folders
    for folder in folders:
        assert (folder / "manifest.json").exists() and "dashboard-runs" in folder.parts, folder
    _type(browser, "staking.node_stake", "1000")
    _type(browser, "epochs", "4")


def test_recommend_page_says_none_yet_then_shows_a_recommendation(server, browser):
    """Item 7: the outputs of gaia-sim recommend under results/recommend/*/ (a fixture here), else how to make one."""
    url, tmp = server
    browser.get(url)
    _tab(browser, "recommend")
    _wait(browser, lambda d: "No recommendation yet" in _text(d, "#rec-message"), 20, "the none-yet note")
    assert "gaia-sim recommend SCENARIO --out" in _text(browser, "#rec-message")
    write_recommendation(tmp / "results", "baseline")
    _tab(browser, "run")
    _tab(browser, "recommend")
    head = _wait(browser, lambda d: _text(d, "#rec-headline"), 20, "the recommendation")
    assert "15.5 tokens per epoch" in head and "all met" in head and "NOT all shown unprofitable" in head, head
    attacks = _text(browser, "#rec-attacks")
    assert "burst" in attacks and "unprofitable" in attacks and "uncertain" in attacks, attacks
    assert "once in 10,000 node-epochs (seen: 0 in 2,400)" in attacks, attacks
    assert _trace_lengths(browser, "fig-attacks") == [2]
    assert "staking.node_stake" in _text(browser, "#rec-body") and "tokens" in _text(browser, "#rec-body")
    _shot(browser, "17_recommend_page")
    _click(browser, "#rec-open")
    _wait(browser, lambda d: _param(d, "staking.node_stake").get_attribute("value") == "400", 30, "the design opened")
    assert _param(browser, "probes.questions_per_epoch").get_attribute("value") == "8"
    browser.get(url)


def test_compare_overlays_pinned_runs_and_slices_labelled_by_what_differs(server, browser):
    """Item 3: pin runs (Run page) and a sweep slice (Sweep page); the Compare page overlays them and
    places them side by side, each labelled by the parameters that differ."""
    url, _ = server
    browser.get(url)
    _open_stored_baseline(browser, url)
    _click(browser, "#run-pin")
    _wait(browser, lambda d: "pinned baseline" in _text(d, "#run-pin-message"), 15, "the first pin")
    _type(browser, "epochs", "3")
    _type(browser, "staking.node_stake", "50")
    _status_when_done(browser, _start_run(browser))
    _click(browser, "#run-pin")
    _wait(browser, lambda d: "2 runs pinned" in _text(d, "#run-pin-message"), 15, "the second pin")
    _tab(browser, "sweep")
    _wait(browser, lambda d: d.execute_script(_PHASE_JS), 60, "the phase diagram")
    _click(browser, "#sweep-pin")
    _wait(browser, lambda d: "1 slices pinned" in _text(d, "#sweep-pin-message"), 15, "the slice pin")
    _tab(browser, "compare")
    _wait(browser, lambda d: "2 runs and 1 sweep slices" in _text(d, "#cmp-message"), 30, "the comparison")
    names = _wait(browser, lambda d: _trace_names(d, "fig-cmp-runs"), 20, "the overlay")
    assert names == ["#1 epochs=4, staking.node_stake=1000.0", "#2 epochs=3, staking.node_stake=50.0"], names
    assert _trace_lengths(browser, "fig-cmp-runs") == [4, 3]
    assert len(_trace_names(browser, "fig-cmp-slices")) == 1
    assert len(browser.find_elements("css selector", "#cmp-side .js-plotly-plot")) == 3
    assert "staking.node_stake" in _text(browser, "#cmp-differ-table")
    _shot(browser, "18_compare_page")
    _click(browser, "#cmp-clear")
    _wait(browser, lambda d: "Nothing pinned yet" in _text(d, "#cmp-message"), 15, "the pins cleared")
    _tab(browser, "run")
    _type(browser, "staking.node_stake", "1000")
    _type(browser, "epochs", "4")


def _xpath_id(path: str) -> str:
    return "//*[@id='" + json.dumps({"path": path, "type": "param"}, separators=(",", ":")) + "']"


def test_advanced_panel_reaches_every_parameter_and_the_run(server, browser):
    """Item 4: every schema parameter has a control (advanced panel grouped as gaia_sim.params, units, bounds,
    docstrings), the run-time estimate shows before Run, and advanced values reach the run."""
    from selenium.webdriver.common.by import By

    from gaia_sim.params import field_info, leaf_paths

    url, _ = server
    browser.get(url)
    _open_stored_baseline(browser, url)
    browser.execute_script(
        "document.querySelectorAll('#run-advanced, #run-advanced details').forEach(d => d.open = true)"
    )
    shown = browser.execute_script(
        "return Array.from(document.querySelectorAll('[id^=\\'{\"path\":\\']')).map(e => e.id)"
        ".filter(i => i.endsWith('}')).map(i => JSON.parse(i).path)"
    )
    assert sorted(set(shown)) == sorted(leaf_paths()) and len(shown) == len(set(shown)), sorted(
        set(leaf_paths()) - set(shown)
    )
    panel = _text(browser, "#run-advanced")
    assert "[slashing] Slashing rule applied to flagged nodes." in panel
    assert "jail_epochs [epochs]" in panel and field_info("slashing.jail_epochs")["doc"] in panel
    _wait(
        browser,
        lambda d: d.find_element(By.XPATH, _xpath_id("slashing.rule")).text.strip() == "fixed_fraction",
        15,
        "rule",
    )
    browser.find_element(By.XPATH, _xpath_id("slashing.rule")).click()
    _wait(
        browser,
        lambda d: next(
            o for o in d.find_elements(By.CSS_SELECTOR, ".dash-dropdown-option") if o.text.strip() == "graduated"
        ),
        10,
        "the rule choices",
    ).click()
    _type(browser, "slashing.graduated_step", "3")
    browser.find_element(By.XPATH, _xpath_id("detector.sequential") + "//label[normalize-space()='no']").click()
    _type(browser, "epochs", "2")
    est = _wait(
        browser, lambda d: "for 2 epochs" in _text(d, "#run-estimate") and _text(d, "#run-estimate"), 30, "estimate"
    )
    assert "estimated run time: about" in est, est
    _wait(browser, lambda d: "slashing.rule=%22graduated%22" in d.current_url, 10, "the rule in the link")
    _shot(browser, "19_run_page_advanced")
    status = _status_when_done(browser, _start_run(browser))
    scenario = json.loads((Path(status.split("written to ")[1].strip()) / "manifest.json").read_text())["scenario"]
    assert scenario["slashing"]["rule"] == "graduated" and scenario["slashing"]["graduated_step"] == 3.0
    assert scenario["detector"]["sequential"] is False and scenario["epochs"] == 2
    browser.get(url)


def test_network_page_draws_verdict_edges(server, browser):
    """Item 1 (defect: the Network page never drew verdict edges, the events' validator was -1): each
    judged node of the epoch is joined to a validator, guilty verdicts in their own colour, as many as
    the message counts."""
    url, _ = server
    _open_stored_baseline(browser, url)
    _tab(browser, "network")
    msg = _wait(
        browser,
        lambda d: "guilty verdicts this epoch" in _text(d, "#network-message") and _text(d, "#network-message"),
        30,
        "the network",
    )
    edges = _wait(
        browser,
        lambda d: d.execute_script(
            "const g = document.querySelector('#fig-network .js-plotly-plot');"
            "return g && g._fullData ? Object.fromEntries(g._fullData.filter(t => t.name.endsWith(' edge'))"
            ".map(t => [t.name, Array.from(t.x).filter(v => v === null || Number.isNaN(v)).length])) : null;"
        ),
        20,
        "the edges",
    )
    judged = sum(n for name, n in edges.items() if name not in ("member edge", "ring edge", "shield edge"))
    assert judged > 0, edges  # validator -> node edges exist at all
    guilty = int(msg.split(" guilty verdicts this epoch")[0].split("; ")[-1])
    assert edges.get("guilty verdict edge", 0) == guilty, (edges, msg)


def _type_sweep_path(driver, path: Path) -> None:
    from selenium.webdriver.common.keys import Keys

    box = driver.find_element("css selector", "#sweep-path")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.BACKSPACE)
    box.send_keys(str(path))
    box.send_keys(Keys.ENTER)


def test_sweep_page_shows_the_prim_boxes_of_a_sweep_or_how_to_make_them(server, browser):
    """Item 7: a sweep with report/prim.json (PRIM run on its rows by gaia_sim.sweep.discovery, as
    `gaia-sim report --discover` writes it) shows its boxes as a table and a figure drawn from the JSON,
    explained; a sweep without says how to make one; a malformed prim.json is one message."""
    url, tmp = server
    found, broken = tmp / "results" / "sweeps" / "prim_found", tmp / "results" / "sweeps" / "prim_broken"
    for sweep in (found, broken):
        _sweep(sweep, tmp / "sweep_base.toml")
    write_prim(found, lambda r: (r["staking.node_stake"] <= 10) & (r["slashing.slash_fraction"] <= 0.25))
    write_prim(broken, lambda r: r["staking.node_stake"] <= 10)
    (broken / "report" / "prim.json").write_text('{"outcome": "cheating_pays", "boxes": [')
    _open_sweep_page(browser, url)
    _type_sweep_path(browser, found)
    table = _wait(browser, lambda d: _text(d, "#sweep-prim-table"), 30, "the PRIM table")
    assert "staking.node_stake" in table and "coverage" in table and "density >= 0.8" in table, table
    assert "0 to 15" in table and "0.1 to 0.375" in table and "18 / 18" in table, table
    assert "cheating_pays" in _text(browser, "#sweep-prim-outcome") and "Base rate 0.30" in _text(
        browser, "#sweep-prim-outcome"
    )
    names = _wait(browser, lambda d: _trace_names(d, "fig-prim"), 20, "the PRIM figure")
    assert names == ["box 1", "coverage", "density", "mass"], names
    assert "coverage: share of all the cells where cheating pays" in _text(browser, "#explain-fig-prim")
    _shot(browser, "23_sweep_page_prim_boxes")
    _type_sweep_path(browser, broken)
    message = _wait(
        browser,
        lambda d: "prim_broken" in _text(d, "#sweep-prim-message") and _text(d, "#sweep-prim-message"),
        30,
        "the malformed note",
    )
    assert "not a readable scenario discovery" in message and "Traceback" not in message, message
    assert "error" in browser.find_element("css selector", "#sweep-prim-message").get_attribute("class")
    demo = tmp / "results" / "sweeps" / "demo"
    _type_sweep_path(browser, demo)
    hint = _wait(
        browser,
        lambda d: "No scenario discovery" in _text(d, "#sweep-prim-message") and _text(d, "#sweep-prim-message"),
        30,
        "the hint",
    )
    assert f"gaia-sim report {demo} --discover" in hint, hint
    assert not browser.find_elements("css selector", "#sweep-prim-table")
