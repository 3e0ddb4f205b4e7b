"""The purchase classifier: behaviour, leakage, round trip, fingerprint, determinism."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from intentseg.classifier.baseline import LogisticBaseline
from intentseg.classifier.lightgbm_model import PurchaseIntentClassifier, imbalance_params, select_imbalance
from intentseg.classifier.model import PurchaseModel
from intentseg.classifier.training import feature_columns, fit_purchase_model
from intentseg.data.spec import GROUND_TRUTH_COLUMNS
from intentseg.foundation.errors import FeatureMismatchError, ModelFileError
from tests.conftest import FAST_CLASSIFIER_PARAMS, FAST_CLASSIFIER_SETTINGS, config_of

TARGET, ID = "purchased_next_30d", "customer_id"


def test_beats_chance_and_baseline_is_reasonable(trained_classifier, small_splits):
    from intentseg.foundation.metrics import roc_auc

    test = small_splits["test"]
    auc = roc_auc(test[TARGET], trained_classifier.model.purchase_probability(test))
    assert auc > 0.8
    assert roc_auc(test[TARGET], trained_classifier.baseline.predict_proba1(test)) > 0.75


@pytest.mark.parametrize(
    "feature,raising_value,lowering_value",
    [("days_since_last_visit", 1.0, 60.0), ("cart_add_rate", 0.5, 0.02)],
    ids=["recent visits", "more cart adds"],
)
def test_behaviour_raises_probability_on_average(
    trained_classifier, small_splits, feature, raising_value, lowering_value
):
    frame = small_splits["test"]
    model = trained_classifier.model
    raised = model.purchase_probability(frame.assign(**{feature: raising_value}))
    lowered = model.purchase_probability(frame.assign(**{feature: lowering_value}))
    assert raised.mean() > lowered.mean() + 0.02


def test_unseen_category_and_missing_engagement_are_scored(trained_classifier, small_splits):
    frame = small_splits["test"].head(50).copy()
    frame["region"] = frame["region"].astype("object")
    frame.loc[frame.index[:10], "region"] = "atlantis"
    engagement = [
        "email_open_rate",
        "email_click_rate",
        "push_click_rate",
        "days_since_last_visit",
        "loyalty_points",
        "membership_tier",
        "support_tickets_90d",
        "reviews_written_12m",
    ]
    frame.loc[frame.index[10:20], engagement] = np.nan
    probability = trained_classifier.model.purchase_probability(frame)
    assert np.all(np.isfinite(probability)) and np.all((probability > 0) & (probability < 1))
    assert np.all(np.isfinite(trained_classifier.baseline.predict_proba1(frame)))


def test_unseen_category_is_treated_as_missing(trained_classifier, small_splits):
    frame = small_splits["test"].head(20).copy()
    unseen, missing = frame.copy(), frame.copy()
    unseen["device_type"] = "smart_fridge"
    missing["device_type"] = np.nan
    model = trained_classifier.model
    np.testing.assert_array_equal(model.purchase_probability(unseen), model.purchase_probability(missing))


def test_no_leakage_target_id_and_ground_truth_are_not_features(trained_classifier):
    names = set(trained_classifier.model.schema.names)
    assert not names & {TARGET, ID, *GROUND_TRUTH_COLUMNS}
    assert len(names) == 36


def test_ground_truth_columns_are_refused_as_features(small_splits):
    leaky = small_splits["train"].assign(true_probability=0.5)
    with pytest.raises(ValueError, match="ground-truth"):
        fit_purchase_model(leaky, small_splits["valid"], FAST_CLASSIFIER_SETTINGS, 1, ID, target=TARGET)


def test_train_stage_never_reads_the_test_split(repo_root):
    dvc = yaml.safe_load((repo_root / "dvc.yaml").read_text())
    deps = dvc["stages"]["train_classifier"]["deps"]
    assert "${paths.split.test}" not in deps and "${paths.prepared.ground_truth}" not in deps
    assert {"${paths.split.train}", "${paths.split.valid}"} <= set(deps)


def test_calibration_and_threshold_depend_on_valid_only(trained_classifier, small_splits):
    """Refitting with a different test split changes nothing: only train and valid are inputs."""
    again = fit_purchase_model(
        small_splits["train"], small_splits["valid"], FAST_CLASSIFIER_SETTINGS, 3, ID, target=TARGET
    )
    assert again.model.decision == trained_classifier.model.decision
    assert again.model.calibrator.to_dict() == trained_classifier.model.calibrator.to_dict()


def test_round_trip_reproduces_probabilities(trained_classifier, small_splits):
    text, metadata = trained_classifier.model.to_artifacts()
    metadata = json.loads(json.dumps(metadata))  # through JSON, as on disk
    loaded = PurchaseModel.from_artifacts(text, metadata)
    test = small_splits["test"]
    np.testing.assert_array_equal(
        loaded.purchase_probability(test), trained_classifier.model.purchase_probability(test)
    )
    assert loaded.decision == trained_classifier.model.decision
    assert {"best_iteration", "training_data_sha256", "imbalance"} <= set(metadata)
    assert set(metadata["features"]["categorical"]["region"]) <= {"north", "south", "east", "west", "central"}


def test_baseline_round_trip_matches_scikit_learn(trained_classifier, small_splits):
    train, test = small_splits["train"], small_splits["test"]
    loaded = LogisticBaseline.from_dict(json.loads(json.dumps(trained_classifier.baseline.to_dict())))
    features = feature_columns(train, ID, TARGET)
    schema = loaded.feature_schema_
    reference = make_pipeline(
        ColumnTransformer(
            [
                (
                    "num",
                    make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()),
                    list(schema.numeric),
                ),
                ("cat", OneHotEncoder(handle_unknown="ignore"), list(schema.categorical)),
            ]
        ),
        LogisticRegression(C=1.0, max_iter=2000, solver="newton-cholesky", tol=1e-10),
    )

    def as_strings(frame):
        out = frame[features].copy()
        for name in schema.categorical:
            out[name] = out[name].astype("object").where(out[name].notna(), "missing").astype(str)
        return out

    reference.fit(as_strings(train), train[TARGET])
    # The stored baseline is rounded to 10 significant digits (intentseg.foundation.determinism).
    np.testing.assert_allclose(loaded.predict_proba1(test), reference.predict_proba(as_strings(test))[:, 1], atol=1e-8)
    assert loaded.coefficient_table()["coefficient"].abs().is_monotonic_decreasing


def test_fingerprint_rejects_frame_with_other_columns(trained_classifier, small_splits):
    frame = small_splits["test"].drop(columns=["cart_add_rate", "region"])
    with pytest.raises(FeatureMismatchError, match="cart_add_rate") as caught:
        trained_classifier.model.purchase_probability(frame)
    assert "region" in str(caught.value)


def test_fingerprint_rejects_non_numeric_values(trained_classifier, small_splits):
    frame = small_splits["test"].head(5).copy()
    frame["tenure_days"] = "long"
    with pytest.raises(FeatureMismatchError, match="tenure_days"):
        trained_classifier.model.purchase_probability(frame)


def test_edited_metadata_is_refused(trained_classifier):
    text, metadata = trained_classifier.model.to_artifacts()
    edited = json.loads(json.dumps(metadata))
    edited["features"]["numeric"][0] = "age_in_months"
    with pytest.raises(ModelFileError, match="fingerprint"):
        PurchaseModel.from_artifacts(text, edited)
    refingerprinted = json.loads(json.dumps(metadata))
    refingerprinted["features"]["fingerprint"] = "0" * 64
    with pytest.raises(ModelFileError, match="fingerprint"):
        PurchaseModel.from_artifacts(text, refingerprinted)


def test_edited_model_text_is_refused(trained_classifier):
    text, metadata = trained_classifier.model.to_artifacts()
    with pytest.raises(ModelFileError, match="checksum"):
        PurchaseModel.from_artifacts(text.replace("shrinkage=", "shrinkage=0", 1), metadata)


def test_two_fits_give_identical_model_files(trained_classifier, small_splits):
    again = fit_purchase_model(
        small_splits["train"], small_splits["valid"], FAST_CLASSIFIER_SETTINGS, 3, ID, target=TARGET
    )
    first_text, first_meta = trained_classifier.model.to_artifacts()
    second_text, second_meta = again.model.to_artifacts()
    assert first_text == second_text
    assert json.dumps(first_meta) == json.dumps(second_meta)
    assert json.dumps(trained_classifier.baseline.to_dict()) == json.dumps(again.baseline.to_dict())


def test_imbalance_options():
    labels = np.array([1, 0, 0, 0])
    assert imbalance_params("none", labels) == {}
    assert imbalance_params("scale_pos_weight", labels) == {"scale_pos_weight": 3.0}
    assert imbalance_params("is_unbalance", labels) == {"is_unbalance": True}
    with pytest.raises(ValueError, match="imbalance"):
        imbalance_params("oversample", labels)


def test_imbalance_selection_reports_every_option(small_splits):
    train, valid = small_splits["train"], small_splits["valid"]
    features = feature_columns(train, ID, TARGET)
    config = config_of(
        "train_classifier",
        {
            **FAST_CLASSIFIER_PARAMS,
            "lightgbm": {"learning_rate": 0.2, "num_leaves": 7, "num_threads": 1},
            "num_boost_round": 60,
            "early_stopping_rounds": 10,
            "imbalance_candidates": ["none", "scale_pos_weight"],
            "imbalance_min_gain": 1.0,
        },
    )
    chosen, results = select_imbalance(config, train[features], train[TARGET], valid[features], valid[TARGET], seed=1)
    assert set(results) == {"none", "scale_pos_weight"}
    assert chosen.imbalance == "none"  # a gain of 1.0 ROC-AUC is impossible: the first option stays
    assert isinstance(chosen, PurchaseIntentClassifier) and chosen.best_iteration_ >= 1


def test_estimator_contract():
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError

    classifier = PurchaseIntentClassifier(
        lgb_params={"num_leaves": 7}, num_boost_round=20, early_stopping_rounds=5, imbalance="none", log_every=0
    )
    assert classifier.lgb_params == {"num_leaves": 7} and clone(classifier).get_params() == classifier.get_params()
    assert not [name for name in vars(classifier) if name.endswith("_")]
    frame = pd.DataFrame({"x": np.arange(200.0), "y": np.tile([0, 1], 100)})
    with pytest.raises(NotFittedError):
        classifier.predict_raw(frame[["x"]])
    fitted = classifier.fit(frame[["x"]], frame["y"], frame[["x"]], frame["y"])
    assert fitted is classifier and hasattr(classifier, "booster_") and hasattr(classifier, "best_iteration_")


def test_small_valid_split_switches_to_cross_validation(small_splits):

    from intentseg.classifier.training import fit_purchase_model, training_review_metrics
    from tests.conftest import FAST_CLASSIFIER_SETTINGS

    train, valid = small_splits["train"].iloc[:1500], small_splits["valid"].iloc[:300]
    config = FAST_CLASSIFIER_SETTINGS.model_copy(
        update={
            "imbalance_candidates": ("none", "scale_pos_weight"),
            "cross_validation": FAST_CLASSIFIER_SETTINGS.cross_validation.model_copy(update={"folds": 3}),
        }
    )
    trained = fit_purchase_model(train, valid, config, 5, "customer_id", target="purchased_next_30d")
    validation = trained.summary["validation"]
    assert validation["method"] == "cross_validation" and validation["folds"] == 3
    assert validation["valid_positives"] == int(valid["purchased_next_30d"].sum()) < 200
    assert trained.model.info["training_rows"] == 1800  # refitted on train+valid
    rounds = trained.summary["best_iteration"]
    assert rounds == round(sum(validation["best_rounds_by_fold"]) / 3)
    assert trained.model.engine.booster.num_trees() == rounds
    assert set(trained.summary["imbalance"]["valid_roc_auc_by_option"]) == {"none", "scale_pos_weight"}
    assert "baseline_valid_roc_auc" not in trained.summary  # valid is no longer held out
    assert training_review_metrics(trained.summary)["validation"] == "3-fold CV"
    assert 0 < trained.model.decision.threshold < 1 and trained.learning_curve
    holdout = fit_purchase_model(
        train,
        valid,
        config.model_copy(
            update={"cross_validation": config.cross_validation.model_copy(update={"below_valid_positives": 0})}
        ),
        5,
        "customer_id",
        target="purchased_next_30d",
    )
    assert holdout.summary["validation"]["method"] == "holdout" and holdout.model.info["training_rows"] == 1500


def test_baseline_fits_tables_with_one_kind_of_feature(small_splits):
    from intentseg.classifier.baseline import LogisticBaseline

    train = small_splits["train"].iloc[:2000]
    labels = train["purchased_next_30d"].to_numpy()
    for columns in (["orders_last_12m", "sessions_last_90d"], ["membership_tier", "device_type"]):
        baseline = LogisticBaseline(C=1.0, max_iter=200).fit(train[columns], labels)
        again = LogisticBaseline.from_dict(baseline.to_dict())
        probability = again.predict_proba1(train[columns])
        assert probability.shape == (2000,) and 0 < probability.min() <= probability.max() < 1
