"""The glossary: every term the issue lists is defined in one sentence and found where a stage uses it."""

from pipeline.content.glossary import glossary, terms_in

REQUIRED = ["token", "padding", "embedding", "hidden state", "gate", "cell state", "logits", "softmax", "attention",
            "teacher forcing", "epoch", "overfitting"]


def test_every_required_term_has_a_one_sentence_definition():
    terms = {t.term.lower(): t for t in glossary()}
    for word in REQUIRED:
        assert word in terms, word
        definition = terms[word].definition
        assert definition.endswith(".") and definition.count(". ") == 0 and len(definition) < 200


def test_terms_are_found_in_the_forms_a_text_uses_them():
    found = [t.term for t in terms_in("The LSTM's hidden states after 5 epochs; padding <pad> ids and tokens.")]
    assert found == ["token", "padding", "LSTM", "hidden state", "epoch"]
    assert terms_in("nothing here") == [] and [t.term for t in terms_in("Softmax turns logits")] == ["logits",
                                                                                                   "softmax"]
    assert "token" not in [t.term for t in terms_in("tokenomics")]


def test_every_lesson_stage_links_to_at_least_one_term():
    from pipeline.content.catalog import catalog

    for slug, content in catalog().items():
        for stage in content.stages:
            assert terms_in(stage.title, stage.description), (slug, stage.key)
