"""Every context source, its precedence, its provenance label, and the errors for missing settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelarts_magic.context import REGION_ENDPOINTS, resolve_context
from modelarts_magic.exceptions import ConfigurationError

AK = "HPUAXQ7EXAMPLEAK12345"
SK = "Zk3vR9pQ2wX8mN4bT6yH1jL5cF7gD0sA2eK9uV3i"


def _resolve(tmp_path: Path, options=None, config=None, env=None, emulator=None):
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    cwd = tmp_path / "work"
    cwd.mkdir(exist_ok=True)
    return resolve_context(options or {}, config or {}, env or {}, home, cwd, emulator=emulator)


def _credentials_file(tmp_path: Path, **values: str) -> Path:
    folder = tmp_path / "home" / ".huaweicloud"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "credentials"
    path.write_text("[basic]\n" + "".join(f"{k} = {v}\n" for k, v in values.items()))
    return path


def _clouds_yaml(tmp_path: Path, where: str = "home") -> Path:
    folder = tmp_path / "home" / ".config" / "openstack" if where == "home" else tmp_path / "work"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "clouds.yaml"
    path.write_text(
        "clouds:\n"
        "  otc:\n"
        "    region_name: eu-nl\n"
        "    auth:\n"
        "      auth_url: https://iam.eu-nl.otc.t-systems.com/v3\n"
        "      username: alice\n"
        "      password: alice-secret-password\n"
        "      user_domain_name: OTC-EU-NL-000001\n"
        "      project_name: eu-nl_team\n"
        "  other:\n"
        "    region_name: cn-north-4\n"
    )
    return path


def test_each_source_is_labelled(tmp_path):
    cases = [
        ({"options": {"region": "eu-de"}}, "option --region"),
        ({"config": {"region": "eu-de"}}, "%config RegisterImageMagics.region"),
        ({"env": {"MODELARTS_REGION": "eu-de"}}, "env MODELARTS_REGION"),
        ({"env": {"OS_REGION_NAME": "eu-de"}}, "env OS_REGION_NAME"),
        ({"emulator": {"region": "eu-de"}}, "emulator"),
    ]
    for kwargs, source in cases:
        context = _resolve(tmp_path, **kwargs)
        assert context.settings["region"].value == "eu-de"
        assert context.source("region") == source
        assert context.source("endpoint") == "derived from region eu-de"
        assert context.get("endpoint") == "https://modelarts.eu-de.otc.t-systems.com"


def test_precedence_options_then_config_then_env_then_files_then_notebook(tmp_path):
    _credentials_file(tmp_path, ak=AK, sk=SK, project_id="from-file")
    env = {"MODELARTS_PROJECT_ID": "from-env", "MA_APIGW_ENDPOINT": "https://notebook.example.com"}
    full = {
        "options": {"project_id": "from-option"},
        "config": {"project_id": "from-config"},
        "env": env,
    }
    assert _resolve(tmp_path, **full).get("project_id") == "from-option"
    assert (
        _resolve(tmp_path, config={"project_id": "from-config"}, env=env).get("project_id") == "from-config"
    )
    assert _resolve(tmp_path, env=env).get("project_id") == "from-env"
    context = _resolve(tmp_path, env={"MA_APIGW_ENDPOINT": "https://notebook.example.com"})
    assert context.get("project_id") == "from-file"
    assert context.source("project_id") == "~/.huaweicloud/credentials [basic]"
    assert context.source("endpoint") == "ModelArts notebook (MA_APIGW_ENDPOINT)"
    # an explicit region anywhere above the notebook beats the notebook's endpoint
    context = _resolve(
        tmp_path, env={"MA_APIGW_ENDPOINT": "https://notebook.example.com", "MODELARTS_REGION": "eu-nl"}
    )
    assert context.get("endpoint") == "https://modelarts.eu-nl.otc.t-systems.com"


def test_emulator_beats_config_but_not_options(tmp_path):
    emulator = {"endpoint": "http://127.0.0.1:9", "project_id": "emu"}
    context = _resolve(tmp_path, config={"endpoint": "https://x.example.com"}, emulator=emulator)
    assert context.get("endpoint") == "http://127.0.0.1:9" and context.is_emulator
    context = _resolve(tmp_path, options={"endpoint": "https://y.example.com"}, emulator=emulator)
    assert context.get("endpoint") == "https://y.example.com" and not context.is_emulator


def test_huawei_sdk_environment_gives_aksk(tmp_path):
    env = {
        "HUAWEICLOUD_SDK_AK": AK,
        "HUAWEICLOUD_SDK_SK": SK,
        "HUAWEICLOUD_SDK_SECURITY_TOKEN": "temporary-token-value-xyz",
        "HUAWEICLOUD_SDK_PROJECT_ID": "p-sdk",
        "MODELARTS_ENDPOINT": "https://modelarts.cn-north-4.myhuaweicloud.com",
    }
    context = _resolve(tmp_path, env=env)
    assert context.auth_method == "aksk"
    assert context.source("ak") == "env HUAWEICLOUD_SDK_AK"
    assert context.get("region") == "cn-north-4"
    assert context.source("region") == "derived from endpoint modelarts.cn-north-4.myhuaweicloud.com"
    kwargs = context.client_kwargs()
    assert kwargs["ak"] == AK and kwargs["security_token"] == "temporary-token-value-xyz"
    assert kwargs["project_id"] == "p-sdk"


def test_ak_and_sk_come_as_a_pair_from_one_place(tmp_path):
    _credentials_file(tmp_path, ak="FILEAKFILEAKFILEAK00", sk="file-secret-key-file-secret-key")
    context = _resolve(tmp_path, env={"HUAWEICLOUD_SDK_AK": AK, "MODELARTS_REGION": "eu-de"})
    assert context.get("ak") == AK and context.get("sk") is None
    with pytest.raises(ConfigurationError, match="HUAWEICLOUD_SDK_SK"):
        context.client_kwargs()


def test_clouds_yaml_with_os_cloud_gives_password_auth(tmp_path):
    _clouds_yaml(tmp_path)
    context = _resolve(tmp_path, env={"OS_CLOUD": "otc"})
    assert context.auth_method == "password"
    assert context.get("region") == "eu-nl"
    assert context.source("username").startswith("clouds.yaml cloud 'otc'")
    assert context.get("endpoint") == "https://modelarts.eu-nl.otc.t-systems.com"
    assert context.get("iam_endpoint") == "https://iam.eu-nl.otc.t-systems.com/v3"
    assert context.source("iam_endpoint").startswith("clouds.yaml")
    kwargs = context.client_kwargs()
    assert kwargs["domain"] == "OTC-EU-NL-000001" and kwargs["project_name"] == "eu-nl_team"


def test_clouds_yaml_in_the_current_folder_and_unknown_cloud(tmp_path):
    _clouds_yaml(tmp_path, where="cwd")
    assert _resolve(tmp_path, env={"OS_CLOUD": "otc"}).get("username") == "alice"
    with pytest.raises(
        ConfigurationError, match=r"no such cloud 'nope' \(the name comes from env OS_CLOUD\)"
    ):
        _resolve(tmp_path, env={"OS_CLOUD": "nope"})
    with pytest.raises(
        ConfigurationError, match=r"from %config RegisterImageMagics.os_cloud\); use one of: otc"
    ):
        _resolve(tmp_path, env={"OS_CLOUD": "otc"}, config={"os_cloud": "nope"})
    # several clouds and none chosen: nothing is guessed
    assert _resolve(tmp_path).get("username") is None


def test_openstack_environment_token_auth(tmp_path):
    env = {"OS_AUTH_TOKEN": "gAAAAABtokentokentoken", "OS_PROJECT_ID": "p-os", "OS_REGION_NAME": "eu-de"}
    context = _resolve(tmp_path, env=env)
    assert context.auth_method == "token" and context.client_kwargs()["token"] == env["OS_AUTH_TOKEN"]


def test_auth_prefers_aksk_then_token_then_password(tmp_path):
    env = {"MODELARTS_REGION": "eu-de", "MODELARTS_PROJECT_ID": "p", "OS_USERNAME": "u", "OS_PASSWORD": "pw"}
    assert _resolve(tmp_path, env=env).auth_method == "password"
    env["OS_AUTH_TOKEN"] = "tok"
    assert _resolve(tmp_path, env=env).auth_method == "token"
    env.update(HUAWEICLOUD_SDK_AK=AK, HUAWEICLOUD_SDK_SK=SK)
    assert _resolve(tmp_path, env=env).auth_method == "aksk"


def test_region_table_covers_both_clouds_and_unknown_regions_need_a_cloud(tmp_path):
    for region in ("eu-de", "eu-nl", "eu-ch2", "cn-north-4", "ap-southeast-1", "af-south-1", "la-south-2"):
        assert region in REGION_ENDPOINTS
    assert REGION_ENDPOINTS["cn-east-3"][1] == "https://modelarts.cn-east-3.myhuaweicloud.com"
    with pytest.raises(ConfigurationError, match="not in the endpoint table"):
        _resolve(tmp_path, options={"region": "xx-new-1"})
    context = _resolve(tmp_path, options={"region": "xx-new-1"}, config={"cloud": "huaweicloud"})
    assert context.get("endpoint") == "https://modelarts.xx-new-1.myhuaweicloud.com"


def test_missing_settings_name_option_trait_and_variable(tmp_path):
    with pytest.raises(ConfigurationError) as err:
        _resolve(tmp_path).client_kwargs()
    for part in ("--endpoint", "%config RegisterImageMagics.endpoint", "MODELARTS_ENDPOINT"):
        assert part in str(err.value)
    context = _resolve(
        tmp_path, env={"MODELARTS_REGION": "eu-de", "HUAWEICLOUD_SDK_AK": AK, "HUAWEICLOUD_SDK_SK": SK}
    )
    with pytest.raises(ConfigurationError) as err:
        context.client_kwargs()
    for part in (
        "project_id",
        "--project-id",
        "%config RegisterImageMagics.project_id",
        "MODELARTS_PROJECT_ID",
    ):
        assert part in str(err.value)
    with pytest.raises(ConfigurationError, match="no credentials found"):
        _resolve(tmp_path, env={"MODELARTS_REGION": "eu-de"}).client_kwargs()


def test_bad_values_are_configuration_errors(tmp_path):
    with pytest.raises(ConfigurationError, match="not a URL"):
        _resolve(tmp_path, options={"endpoint": "modelarts.eu-de.otc.t-systems.com"})
    with pytest.raises(ConfigurationError, match="positive number of seconds"):
        _resolve(tmp_path, config={"timeout": -1})


def test_describe_masks_secrets_and_shows_sources(tmp_path):
    env = {
        "HUAWEICLOUD_SDK_AK": AK,
        "HUAWEICLOUD_SDK_SK": SK,
        "MODELARTS_REGION": "eu-de",
        "OS_PASSWORD": "hunter2-long-password",
    }
    rows = _resolve(tmp_path, env=env).describe()
    text = repr(rows)
    assert SK not in text and AK not in text and "hunter2" not in text
    shown = {name: (value, source) for name, value, source in rows}
    assert shown["sk"] == ("****", "env HUAWEICLOUD_SDK_SK")
    assert shown["ak"][0] == "HPUA…45"
    assert shown["auth"][0] == "AK/SK signing"


def test_the_client_is_built_once_and_reused_until_a_setting_changes(magics, emulator_env, monkeypatch):
    first = magics.context()
    client = first.client()
    again = magics.context()
    assert again is first and again.client() is client
    monkeypatch.setenv("MODELARTS_WORKSPACE_ID", "ws-1")
    changed = magics.context()
    assert changed is not first and changed.client() is not client


def test_config_traits_feed_the_context(ip, magics, emulator_env):
    ip.run_line_magic("config", "RegisterImageMagics.workspace_id = 'ws-from-config'")
    context = magics.context()
    assert context.get("workspace_id") == "ws-from-config"
    assert context.source("workspace_id") == "%config RegisterImageMagics.workspace_id"
    ip.run_line_magic("config", "RegisterImageMagics.region = 'eu-nl'")
    # the environment's endpoint ranks below %config's region, so the endpoint follows the region
    assert magics.context().get("endpoint") == "https://modelarts.eu-nl.otc.t-systems.com"
