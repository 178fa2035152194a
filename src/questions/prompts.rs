//! The two model calls of an attempt: choosing the excerpt sentence, and writing the question.

use crate::chunk::Span;
use crate::error::Result;
use crate::llm::{ChatRequest, Llm, Message};

/// How the question is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    /// The instruction alone.
    Plain,
    /// The instruction after worked examples of good, self-contained questions (as earlier turns
    /// of the chat).
    FewShot,
}

impl Prompt {
    pub fn name(self) -> &'static str {
        match self {
            Prompt::Plain => "plain",
            Prompt::FewShot => "few-shot",
        }
    }
}

/// Worked examples: a text and a question that names its subject, does not quote the text and asks
/// one thing. About topics far from any benchmark corpus, so no example leaks into a dataset.
const EXAMPLES: &[(&str, &str)] = &[
    (
        "The Hubble Space Telescope was launched in April 1990 aboard the Space Shuttle Discovery.",
        "When was the Hubble Space Telescope launched?",
    ),
    (
        "The study found that a daily walk of 30 minutes lowered the blood pressure of adults over \
         60 by 5 mmHg on average.",
        "By how much did a daily 30-minute walk lower the blood pressure of adults over 60?",
    ),
    (
        "Tenants of the Marlow building must give 60 days' written notice before moving out.",
        "How much notice must tenants of the Marlow building give before moving out?",
    ),
];

/// Asks the model which sentence states the most specific fact; `None` if unusable.
pub fn select(llm: &dyn Llm, text: &str, sents: &[Span]) -> Result<Option<usize>> {
    if sents.len() == 1 {
        return Ok(Some(0));
    }
    let mut list = String::new();
    for (k, s) in sents.iter().enumerate() {
        let one_line = text[s.start..s.end].replace('\n', " ");
        list.push_str(&format!("{}. {one_line}\n", k + 1));
    }
    let ids: Vec<String> = (1..=sents.len())
        .rev()
        .map(|k| format!("\"{k}\""))
        .collect();
    let request = ChatRequest {
        messages: vec![Message::user(format!(
            "Sentences:\n{list}\nWhich sentence states the most specific fact (a number, a name, a \
             date or a rule)? Answer with its number only."
        ))],
        max_tokens: 4,
        stop: vec!["\n".into()],
        grammar: Some(format!("root ::= {}\n", ids.join(" | "))),
    };
    let answer = llm.complete(&request)?;
    let t = answer.text.trim().trim_end_matches('.');
    Ok(t.parse::<usize>()
        .ok()
        .filter(|&k| k >= 1 && k <= sents.len())
        .map(|k| k - 1))
}

/// The instruction for one sentence. This wording gets plain questions even from SmolLM2-135M
/// ("Write one question that is answered by this sentence" gets "What is the answer to this
/// question?").
fn instruction(sentence: &str) -> String {
    format!(
        "Text: {}\n\nWrite a question that this text answers.",
        sentence.replace('\n', " ")
    )
}

/// The messages that ask for a question about `sentence`.
pub fn question_messages(sentence: &str, prompt: Prompt) -> Vec<Message> {
    let mut messages = Vec::new();
    if prompt == Prompt::FewShot {
        for (text, question) in EXAMPLES {
            messages.push(Message::user(instruction(text)));
            messages.push(Message {
                role: "assistant".into(),
                content: (*question).into(),
            });
        }
    }
    messages.push(Message::user(instruction(sentence)));
    messages
}

/// The model's question about `sentence`, as written.
pub fn ask_question(llm: &dyn Llm, sentence: &str, prompt: Prompt) -> Result<String> {
    let request = ChatRequest {
        messages: question_messages(sentence, prompt),
        max_tokens: 48,
        stop: Vec::new(),
        grammar: None,
    };
    Ok(llm.complete(&request)?.text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_shot_puts_the_examples_before_the_instruction() {
        let plain = question_messages("The pump runs 12 minutes.", Prompt::Plain);
        assert_eq!(plain.len(), 1);
        let few = question_messages("The pump runs 12 minutes.", Prompt::FewShot);
        assert_eq!(few.len(), 2 * EXAMPLES.len() + 1);
        assert_eq!(few.last(), plain.last());
        assert_eq!(few[1].role, "assistant");
    }
}
