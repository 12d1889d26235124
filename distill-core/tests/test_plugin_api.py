"""`distill.vocoders` is the plugin API alone; host names it used to export still resolve, for one release."""

from __future__ import annotations

import pytest

import distill.vocoders
from distill.host import registry, selector
from distill.vocoders import plugins


@pytest.mark.parametrize("name", sorted(distill.vocoders.MOVED))
def test_a_moved_name_still_works_with_a_deprecation_warning_naming_its_new_home(name):
    home = {"distill.host.registry": registry, "distill.host.selector": selector, "distill.vocoders.plugins": plugins}
    with pytest.warns(
        DeprecationWarning, match=rf"distill\.vocoders\.{name} is deprecated.*{distill.vocoders.MOVED[name]}"
    ):
        value = getattr(distill.vocoders, name)
    assert value is getattr(home[distill.vocoders.MOVED[name]], name)


def test_the_api_exports_no_host_names_and_unknown_names_fail_as_usual():
    assert not set(distill.vocoders.__all__) & set(distill.vocoders.MOVED)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        distill.vocoders.nothing  # noqa: B018
