"""Every kind of inbound message, driven through the fake Bot API and the channel's run loop."""

from __future__ import annotations

from tests.fakes.telegram_api import FakeTelegram
from tests.telegram.conftest import RecordingContext, Runner


async def test_text_is_stored_with_the_offset_that_confirms_it(
        tg: FakeTelegram, running: Runner, ctx: RecordingContext) -> None:
    msg = tg.message(42, "Hello, where is my order?", first_name="Ann", last_name="Lee",
                     username="annlee")
    await running()
    await ctx.wait_for(1)
    item = ctx.messages[f"42:{msg['message_id']}"]
    assert item.text == "Hello, where is my order?"
    assert item.address == "42" and item.kind == "telegram" and item.channel == "bot"
    assert item.display_name == "Ann Lee" and item.wire_id == f"42:{msg['message_id']}"
    assert item.sent_at is not None
    _batch, cursor = ctx.batches[0]
    assert cursor == str(item.meta["update_id"] + 1)
    await ctx.until(lambda: tg.pending == 0)  # confirmed by the next getUpdates
    assert ("up", None) in ctx.states


async def test_photo_document_voice_sticker_and_caption(
        tg: FakeTelegram, running: Runner, ctx: RecordingContext) -> None:
    small = tg.add_file(b"small-jpeg", "photos/s.jpg")
    big = tg.add_file(b"big-jpeg-bytes", "photos/b.jpg")
    tg.message(7, photo=[{**small, "width": 90, "height": 90},
                         {**big, "width": 800, "height": 600}], caption="the broken part")
    doc = tg.add_file(b"%PDF-1.4 invoice", "documents/invoice.pdf")
    tg.message(7, document={**doc, "file_name": "../invoice.pdf", "mime_type": "application/pdf"})
    voice = tg.add_file(b"OggS....", "voice/v.oga")
    tg.message(7, voice={**voice, "duration": 3, "mime_type": "audio/ogg"})
    sticker = tg.add_file(b"RIFFwebp", "stickers/s.webp")
    tg.message(7, sticker={**sticker, "emoji": "👍", "width": 512, "height": 512,
                           "is_animated": False, "is_video": False, "type": "regular"})
    await running()
    await ctx.wait_for(4)
    photo, document, voice_msg, sticker_msg = ctx.messages.values()
    assert photo.text == "the broken part"
    assert [(a.filename, a.data) for a in photo.attachments] == [("photo_1.jpg", b"big-jpeg-bytes")]
    assert document.attachments[0].filename == ".._invoice.pdf"
    assert document.attachments[0].content_type == "application/pdf"
    assert document.attachments[0].data == b"%PDF-1.4 invoice"
    assert voice_msg.attachments[0].content_type == "audio/ogg"
    assert voice_msg.attachments[0].data == b"OggS...."
    assert sticker_msg.text == "👍" and sticker_msg.attachments[0].content_type == "image/webp"


async def test_file_over_the_bot_limit_is_noted_not_fetched(
        tg: FakeTelegram, running: Runner, ctx: RecordingContext) -> None:
    huge = tg.add_file(b"x", "documents/huge.iso", size=25 * 1024 * 1024)
    tg.message(8, "see attached", document={**huge, "file_name": "huge.iso"})
    liar = tg.add_file(b"x", "documents/liar.bin", size=30 * 1024 * 1024)
    tg.message(8, "no size given", document={"file_id": liar["file_id"],
                                             "file_unique_id": "L", "file_name": "liar.bin"})
    await running()
    await ctx.wait_for(2)
    first, second = ctx.messages.values()
    att = first.attachments[0]
    assert att.data is None and att.size == 25 * 1024 * 1024 and "20 MB" in (att.note or "")
    assert second.attachments[0].data is None and "too big" in (second.attachments[0].note or "")
    assert tg.calls.count("getFile") == 1  # the declared size spared a call
    assert any("huge.iso" in line for line in ctx.lines)


async def test_reply_edit_contact_and_start_token(
        tg: FakeTelegram, running: Runner, ctx: RecordingContext) -> None:
    first = tg.message(5, "My parcel never came")
    tg.message(5, "Any news?", reply_to_message={**first})
    tg.message(5, "My parcel never arrived", edited=True, message_id=first["message_id"])
    tg.message(5, contact={"phone_number": "+48600100200", "first_name": "Ann", "user_id": 5})
    tg.message(5, contact={"phone_number": "+48600999999", "first_name": "Bob", "user_id": 77})
    tg.message(5, "/start abc_DEF-123")
    tg.message(5, "/start")
    await running()
    await ctx.wait_for(7)
    items = list(ctx.messages.values())
    reply, edit, own_contact, other_contact, start, bare = items[1:]
    assert reply.quoted_text == "My parcel never came"
    assert reply.thread_refs == (f"5:{first['message_id']}",)
    assert edit.revision_of == f"5:{first['message_id']}" and "edited" in edit.flags
    assert edit.text == "My parcel never arrived" and edit.external_id != edit.revision_of
    assert own_contact.link_phone == "+48600100200"
    assert other_contact.link_phone is None and "+48600999999" in other_contact.text
    assert start.link_token == "abc_DEF-123"
    assert bare.link_token is None


async def test_groups_are_ignored_unless_allowed(
        tg: FakeTelegram, running: Runner, ctx: RecordingContext) -> None:
    tg.message(9, "hi all", chat_type="group", chat_id=-100)
    tg.message(9, "private hello")
    await running()
    await ctx.wait_for(1)
    await ctx.until(lambda: tg.pending == 0)
    assert [m.text for m in ctx.messages.values()] == ["private hello"]
    assert any("group chat message ignored" in line for line in ctx.lines)


async def test_groups_when_allowed(tg: FakeTelegram, running: Runner,
                                   ctx: RecordingContext) -> None:
    tg.message(9, "hi all", chat_type="supergroup", chat_id=-100)
    await running(allow_groups=True)
    await ctx.wait_for(1)
    (item,) = ctx.messages.values()
    assert item.address == "9" and item.meta["chat_type"] == "supergroup"


async def test_callback_queries_are_answered_and_unknown_updates_skipped(
        tg: FakeTelegram, running: Runner, ctx: RecordingContext) -> None:
    tg.push({"callback_query": {"id": "cb1", "from": {"id": 3, "is_bot": False,
                                                        "first_name": "C"}, "data": "x"}})
    tg.push({"inline_query": {"id": "q"}})
    tg.push({"my_chat_member": {"from": {"id": 3}, "new_chat_member": {"status": "kicked"}}})
    tg.message(3, "after the odd ones")
    await running()
    await ctx.wait_for(1)
    await ctx.until(lambda: tg.callback_answers == ["cb1"])
    assert any("inline_query ignored" in line for line in ctx.lines)
    assert any("kicked" in line for line in ctx.lines)
