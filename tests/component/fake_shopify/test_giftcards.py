"""Gift cards: the code shown once, last four characters only, credit/debit without a key."""

from __future__ import annotations

from pydantic import SecretStr

from service.fakes.shopify import FakeShopify
from tests.component.fake_shopify.conftest import GraphQL

CREATE = """mutation($input: GiftCardCreateInput!) { giftCardCreate(input: $input) {
  giftCard { id lastCharacters maskedCode balance { amount currencyCode } note } giftCardCode
    userErrors { code field message } } }"""
DEBIT = """mutation($id: ID!, $in: GiftCardDebitInput!) { giftCardDebit(id: $id, debitInput: $in) {
  giftCardDebitTransaction { id amount { amount } note giftCard { balance { amount } } }
    userErrors { code field message } } }"""
CREDIT = """mutation($id: ID!, $in: GiftCardCreditInput!) { giftCardCredit(id: $id,
  creditInput: $in) {
  giftCardCreditTransaction { id amount { amount } } userErrors { code field message } } }"""


async def _create(gql: GraphQL, **fields: object) -> dict:
    body = (await gql(CREATE, {"input": {"initialValue": "100.00", **fields}})).json()
    return body["data"]["giftCardCreate"]


async def test_the_code_is_returned_once_and_never_readable_again(gql: GraphQL) -> None:
    """giftCardCode in the create answer; afterwards only lastCharacters and maskedCode."""
    created = await _create(gql, code="ABCD1234wxyz", note="from sitoo")
    assert created["giftCardCode"] == "abcd1234wxyz"
    assert created["giftCard"]["lastCharacters"] == "wxyz"
    assert created["giftCard"]["maskedCode"].endswith("wxyz")
    fields = (await gql('{ __type(name: "GiftCard") { fields { name } } }')).json()["data"][
        "__type"
    ]["fields"]
    assert "code" not in {f["name"] for f in fields}
    generated = await _create(gql)
    assert len(generated["giftCardCode"]) == 16


async def test_codes_are_checked_as_shopify_documents(gql: GraphQL) -> None:
    """8-20 letters or digits, unique; a positive initial value."""
    for code, error in (("short", "TOO_SHORT"), ("x" * 21, "TOO_LONG"), ("has-dash-1", "INVALID")):
        assert (await _create(gql, code=code))["userErrors"][0]["code"] == error
    assert (await _create(gql, code="uniquecode1"))["userErrors"] == []
    assert (await _create(gql, code="UNIQUECODE1"))["userErrors"][0]["code"] == "TAKEN"
    zero = (await gql(CREATE, {"input": {"initialValue": "0"}})).json()["data"]["giftCardCreate"]
    assert zero["userErrors"][0]["code"] == "GREATER_THAN"


async def test_a_repeated_debit_is_applied_twice(gql: GraphQL, shop: FakeShopify) -> None:
    """FACTS.md §10.9: no idempotency key, so the same debit twice takes the money twice."""
    card = (await _create(gql, code="twicedebit1"))["giftCard"]["id"]
    variables = {
        "id": card,
        "in": {"debitAmount": {"amount": "30", "currencyCode": "SEK"}, "note": "ref-1"},
    }
    for expected in ("70.0", "40.0"):
        result = (await gql(DEBIT, variables)).json()["data"]["giftCardDebit"]
        assert result["giftCardDebitTransaction"]["giftCard"]["balance"]["amount"] == expected
    assert len(shop.ledger_entries(kind="giftcard.debit")) == 2
    query = (
        "query($id: ID!) { giftCard(id: $id) { transactions(first: 10) { nodes { "
        "__typename note amount { amount } } } } }"
    )
    nodes = (await gql(query, {"id": card})).json()["data"]["giftCard"]["transactions"]["nodes"]
    assert [n["amount"]["amount"] for n in nodes] == ["-30.0", "-30.0"]
    assert {n["__typename"] for n in nodes} == {"GiftCardDebitTransaction"}


async def test_debit_and_credit_refusals(gql: GraphQL) -> None:
    """Insufficient funds, wrong currency, zero amounts, unknown cards."""
    card = (await _create(gql, code="refusals123"))["giftCard"]["id"]

    async def debit(amount: str, currency: str = "SEK", card_id: str = card) -> str:
        variables = {
            "id": card_id,
            "in": {"debitAmount": {"amount": amount, "currencyCode": currency}},
        }
        return (await gql(DEBIT, variables)).json()["data"]["giftCardDebit"]["userErrors"][0][
            "code"
        ]

    assert await debit("100.01") == "INSUFFICIENT_FUNDS"
    assert await debit("1", "EUR") == "MISMATCHING_CURRENCY"
    assert await debit("0") == "NEGATIVE_OR_ZERO_AMOUNT"
    assert await debit("1", card_id="gid://shopify/GiftCard/1") == "GIFT_CARD_NOT_FOUND"
    credit = {"id": card, "in": {"creditAmount": {"amount": "-5", "currencyCode": "SEK"}}}
    assert (await gql(CREDIT, credit)).json()["data"]["giftCardCredit"]["userErrors"][0][
        "code"
    ] == "NEGATIVE_OR_ZERO_AMOUNT"


async def test_search_matches_the_last_four_characters_only(gql: GraphQL) -> None:
    """FACTS.md §10.10: the full code never matches; the last four do."""
    await _create(gql, code="searchme9876")
    query = "query($q: String!) { giftCards(first: 5, query: $q) { nodes { lastCharacters } } }"
    assert (await gql(query, {"q": "9876"})).json()["data"]["giftCards"]["nodes"] == [
        {"lastCharacters": "9876"}
    ]
    assert (await gql(query, {"q": "searchme9876"})).json()["data"]["giftCards"]["nodes"] == []


async def test_transactions_need_their_own_scope(gql: GraphQL, shop: FakeShopify) -> None:
    """read_gift_card_transactions guards the transactions connection."""
    shop.config.access_tokens["cards"] = SecretStr("shpat_cards")
    shop.config.token_scopes["cards"] = ["read_gift_cards"]
    card = (await _create(gql, code="scopecheck1"))["giftCard"]["id"]
    query = "query($id: ID!) { giftCard(id: $id) { id transactions(first: 5) { nodes { id } } } }"
    body = (await gql(query, {"id": card}, token="shpat_cards")).json()
    assert body["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
