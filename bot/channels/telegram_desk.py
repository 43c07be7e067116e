"""Moderators in a Telegram forum supergroup: one topic per handed-over conversation.

The `Desk` of conversation/handover.py, on the bot the deployer already has. The group is
MODERATORS_CHAT_ID; the bot must be an admin that may manage topics. A moderator answers by
writing in the conversation's topic; `/close` gives it back to the bot.
"""

from __future__ import annotations

import logging
from html import escape
from typing import Any

from telegram import Bot, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from bot.channels.telegram_render import render
from bot.content.locales import Locales
from bot.conversation.handover import Case, Desk, Relay
from bot.conversation.handovers import Handovers
from bot.conversation.messages import Reply

log = logging.getLogger(__name__)
TOPIC_NAME = 128  # characters Telegram allows in a topic's name
HELP = (
    "Reply in this topic to answer the user: the first moderator to reply holds the "
    "conversation. /close gives it back to the bot. /open ALIAS (from the unanswered report) "
    "opens a conversation with that user when they next write. The user's number or Telegram "
    "id is never shown here."
)


class TelegramDesk(Desk):
    """Topics in the moderators' forum group."""

    def __init__(self, bot: Bot, chat_id: int) -> None:
        self.bot, self.chat_id = bot, chat_id

    async def open(self, case: Case) -> str:
        """createForumTopic named after the case, then the case itself as its first message."""
        place = (case.country or "no country").upper()
        name = f"{case.alias} · {place} · {case.language} · {case.channel}"[:TOPIC_NAME]
        topic = await self.bot.create_forum_topic(self.chat_id, name)
        thread = topic.message_thread_id
        lines = [
            f"Alias: {case.alias}",
            f"Country: {case.country or 'not known'} · language: {case.language} · "
            f"channel: {case.channel}",
            f"Asked for a person: {case.reason}",
        ]
        if case.recent:
            lines.append("Last turns (question → entry id the bot answered with):")
            lines += [f"• {turn}" for turn in case.recent]
        lines.append(HELP)
        await self.bot.send_message(self.chat_id, "\n".join(lines), message_thread_id=thread)
        return str(thread)

    async def post(self, thread: str, text: str) -> None:
        """A message in the topic."""
        await self.bot.send_message(self.chat_id, text, message_thread_id=int(thread))

    async def close(self, thread: str, note: str) -> None:
        """The note, then closeForumTopic."""
        await self.bot.send_message(self.chat_id, note, message_thread_id=int(thread))
        await self.bot.close_forum_topic(self.chat_id, int(thread))


class TelegramRelay(Relay):
    """A moderator's reply to a Telegram user, rendered as the bot's own replies are."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, address: str, reply: Reply, locales: Locales) -> tuple[str, ...]:
        """Send to the user's private chat; Telegram has no pages to keep."""
        for part in render(reply, locales.text):
            await self.bot.send_message(
                int(address),
                part.html,
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        return ()


class ModeratorHandlers:
    """What moderators write in the group, handed to `Handovers`."""

    def __init__(self, handovers: Handovers, chat_id: int) -> None:
        self.handovers, self.chat_id = handovers, chat_id

    def register(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Add the group's handlers; they see the moderators' chat and nothing else."""
        group = filters.Chat(self.chat_id) & ~filters.UpdateType.EDITED
        application.add_handler(CommandHandler("close", self.on_close, filters=group))
        application.add_handler(CommandHandler("help", self.on_help, filters=group))
        application.add_handler(CommandHandler("open", self.on_open, filters=group))
        application.add_handler(
            MessageHandler(group & filters.TEXT & ~filters.COMMAND, self.on_text)
        )

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A moderator's reply in a topic."""
        message = update.effective_message
        thread = message.message_thread_id if message is not None else None
        if message is None or thread is None or not message.is_topic_message:
            return  # the group's General topic: talk among moderators, never relayed
        note = await self.handovers.from_moderator(str(thread), _name(update), message.text or "")
        if note:
            await self.handovers.desk.post(str(thread), note)

    async def on_close(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/close in a topic."""
        message = update.effective_message
        thread = message.message_thread_id if message is not None else None
        if message is None or thread is None or not message.is_topic_message:
            return
        note = await self.handovers.close(str(thread), _name(update))
        if note:
            await self.handovers.desk.post(str(thread), note)

    async def on_open(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/open ALIAS: talk to that user (from the unanswered report) when they next write."""
        message = update.effective_message
        if message is None:
            return
        alias = (context.args or [""])[0].strip()
        await message.reply_text(await self.handovers.invite(alias, _name(update)))

    async def on_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/help in the group."""
        message = update.effective_message
        if message is not None:
            await message.reply_text(escape(HELP), parse_mode=ParseMode.HTML)


def _name(update: Update) -> str:
    user = update.effective_user
    if user is None:
        return "a moderator"
    return user.full_name or user.username or "a moderator"
